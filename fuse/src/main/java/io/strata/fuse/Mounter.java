package io.strata.fuse;

import io.strata.core.Errno;
import io.strata.sys.Libc;
import io.strata.sys.Spawn;
import io.strata.sys.SysException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Getting a /dev/fuse descriptor attached to a mount point, and detaching it again.
 * <ul>
 * <li>As root: open /dev/fuse and mount(2) with {@code fd=N}, as the kernel expects.</li>
 * <li>Otherwise: run {@code fusermount3} (setuid root), which mounts and sends the descriptor
 * back over a unix socket (SCM_RIGHTS).</li>
 * </ul>
 */
public final class Mounter {
    private static final System.Logger LOG = System.getLogger("strata.fuse");

    private Mounter() {}

    static int open(Path mountpoint, FuseConfig cfg) throws IOException {
        int preopened = preopenedFd(mountpoint);
        if (preopened >= 0) return preopened;
        if (!Files.isDirectory(mountpoint)) {
            throw new IOException("mount point " + mountpoint + " is not a directory (create it first)");
        }
        return Libc.geteuid() == 0 ? mountAsRoot(mountpoint, cfg) : mountWithFusermount(mountpoint, cfg);
    }

    private static int mountAsRoot(Path mp, FuseConfig cfg) throws IOException {
        int fd;
        try {
            fd = Libc.open("/dev/fuse", Libc.O_RDWR | Libc.O_CLOEXEC, 0);
        } catch (SysException e) {
            throw new IOException("cannot open /dev/fuse (" + e.getMessage() + "): is the fuse module loaded?", e);
        }
        StringBuilder data = new StringBuilder("fd=" + fd + ",rootmode=40000,user_id=" + Libc.getuid()
                + ",group_id=" + Libc.getgid());
        if (cfg.allowOther()) data.append(",allow_other");
        if (cfg.defaultPermissions()) data.append(",default_permissions");
        long flags = cfg.vfsFlags() | (cfg.readOnly() ? Libc.MS_RDONLY : 0);
        try {
            Libc.mount(cfg.fsname(), mp.toString(), "fuse." + cfg.subtype(), flags, data.toString());
        } catch (SysException e) {
            Libc.closeQuietly(fd);
            throw new IOException("mount " + mp + ": " + e.getMessage(), e);
        }
        return fd;
    }

    /**
     * fusermount3's spelling of the MS_* flags. Only the restricting ones for suid/dev: for users
     * fusermount3 forces nosuid,nodev itself and would only warn about "suid" or "dev".
     */
    static List<String> flagOptions(long f) {
        List<String> o = new ArrayList<>();
        if ((f & Libc.MS_NOSUID) != 0) o.add("nosuid");
        if ((f & Libc.MS_NODEV) != 0) o.add("nodev");
        if ((f & Libc.MS_NOEXEC) != 0) o.add("noexec");
        if ((f & Libc.MS_SYNCHRONOUS) != 0) o.add("sync");
        if ((f & Libc.MS_DIRSYNC) != 0) o.add("dirsync");
        if ((f & Libc.MS_NOSYMFOLLOW) != 0) o.add("nosymfollow");
        if ((f & Libc.MS_NOATIME) != 0) o.add("noatime");
        if ((f & Libc.MS_NODIRATIME) != 0) o.add("nodiratime");
        if ((f & Libc.MS_RELATIME) != 0) o.add("relatime");
        if ((f & Libc.MS_STRICTATIME) != 0) o.add("strictatime");
        if ((f & Libc.MS_LAZYTIME) != 0) o.add("lazytime");
        return o;
    }

    private static int mountWithFusermount(Path mp, FuseConfig cfg) throws IOException {
        List<String> opts = new ArrayList<>(List.of("fsname=" + cfg.fsname(), "subtype=" + cfg.subtype()));
        opts.addAll(flagOptions(cfg.vfsFlags()));
        if (cfg.readOnly()) opts.add("ro");
        if (cfg.allowOther()) opts.add("allow_other");
        if (cfg.defaultPermissions()) opts.add("default_permissions");
        int[] sp = Libc.socketpair(Libc.SOCK_STREAM | Libc.SOCK_CLOEXEC);
        try {
            List<String> env = new ArrayList<>();
            for (Map.Entry<String, String> e : System.getenv().entrySet()) env.add(e.getKey() + "=" + e.getValue());
            env.add("_FUSE_COMMFD=3");
            int rc = Spawn.runWithFd(new String[] {"fusermount3", "-o", String.join(",", opts), "--", mp.toString()},
                    env.toArray(String[]::new), sp[1], 3);
            if (rc != 0) throw new IOException("fusermount3 failed with status " + rc + " mounting " + mp);
            int fd = Libc.receiveFd(sp[0]);
            if (fd < 0) throw new IOException("fusermount3 did not send a /dev/fuse descriptor");
            return fd;
        } catch (SysException e) {
            throw new IOException("fusermount3: " + e.getMessage(), e);
        } finally {
            Libc.closeQuietly(sp[0]);
            Libc.closeQuietly(sp[1]);
        }
    }

    /**
     * True if {@code mp} is a FUSE mount whose server is gone (it answers ENOTCONN). statfs is the
     * probe because the kernel never caches it; a stat of the root could be answered from cached
     * attributes.
     */
    /**
     * The descriptor of a mount point given as {@code /dev/fd/N}: mount.fuse3's drop_privileges
     * (and libfuse's convention) opens /dev/fuse, mounts it itself and hands us descriptor N, so
     * there is nothing to mount (and, later, nothing we could unmount). -1 for an ordinary path.
     */
    public static int preopenedFd(Path mp) throws IOException {
        String s = mp.toString();
        if (!s.startsWith("/dev/fd/")) return -1;
        int fd;
        try {
            fd = Integer.parseInt(s.substring("/dev/fd/".length()));
        } catch (NumberFormatException e) {
            throw new IOException(s + " is not a descriptor (expected /dev/fd/N)");
        }
        if (fd < 3) throw new IOException(s + ": descriptor " + fd + " is a standard stream, not /dev/fuse");
        Path target;
        try {
            target = Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd));
        } catch (IOException e) {
            throw new IOException(s + ": descriptor " + fd + " is not open");
        }
        if (!target.toString().equals("/dev/fuse")) throw new IOException(s + ": descriptor " + fd + " is " + target + ", not /dev/fuse");
        return fd;
    }

    public static boolean isDead(Path mp) {
        try {
            Files.getFileStore(mp).getTotalSpace();
            return false;
        } catch (IOException e) {
            return String.valueOf(e.getMessage()).contains("not connected");
        } catch (RuntimeException e) {
            return false;
        }
    }

    /**
     * Unmounts {@code mp}. A busy mount fails if {@code failIfBusy}, and is otherwise detached
     * lazily (MNT_DETACH: gone from the tree now, released when its last user closes). Returns true
     * if nothing is mounted there any more.
     */
    public static boolean unmount(Path mp, boolean failIfBusy) {
        // a pre-opened /dev/fuse: whoever mounted it unmounts it; closing our descriptor ends the connection
        if (mp.toString().startsWith("/dev/fd/")) return true;
        try {
            if (Libc.geteuid() == 0) {
                try {
                    Libc.umount2(mp.toString(), 0);
                } catch (SysException e) {
                    if (e.errno() == Errno.EBUSY && failIfBusy) throw e;
                    if (e.errno() == Errno.EINVAL) return true; // not a mount point (any more)
                    Libc.umount2(mp.toString(), Libc.MNT_DETACH);
                }
                return true;
            }
            Process p = new ProcessBuilder("fusermount3", "-u", failIfBusy ? "-q" : "-z", mp.toString())
                    .redirectErrorStream(true).start();
            return p.waitFor() == 0;
        } catch (SysException e) {
            LOG.log(System.Logger.Level.WARNING, "unmount " + mp + ": " + e.getMessage());
            return false;
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "fusermount3 -u " + mp + ": " + e.getMessage());
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
