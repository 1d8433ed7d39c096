package io.strata.passthrough;

import static io.strata.sys.PosixFiles.AT_EMPTY_PATH;
import static io.strata.sys.PosixFiles.AT_SYMLINK_NOFOLLOW;
import static io.strata.sys.PosixFiles.EMPTY_PATH;

import io.strata.core.CacheMode;
import io.strata.core.Errno;
import io.strata.core.Feature;
import io.strata.core.Name;
import io.strata.core.OpenFlags;
import io.strata.core.XattrName;
import io.strata.sys.Libc;
import io.strata.sys.PosixFiles;
import io.strata.sys.SysException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Set;

/**
 * What the host offers beneath a share, decided once when it is opened: the features the share
 * reports (from the source's file-system type, a few harmless probes, the daemon's privileges and
 * the options), the daemon's umask and the hard-link protection setting.
 */
final class HostFeatures {
    private HostFeatures() {}

    // fstatfs f_type of local file systems whose rename flags and fallocate modes are known.
    private static final long EXT4 = 0xEF53, XFS = 0x58465342, BTRFS = 0x9123683EL, TMPFS = 0x01021994,
            F2FS = 0xF2F52010L, BCACHEFS = 0xca451a4eL;

    /** fs.protected_hardlinks, read once (on, the default, if it cannot be read). */
    static final boolean PROTECTED_HARDLINKS = readProtectedHardlinks();

    private static boolean readProtectedHardlinks() {
        try {
            return !Files.readString(Path.of("/proc/sys/fs/protected_hardlinks")).trim().equals("0");
        } catch (IOException | RuntimeException e) {
            return true;
        }
    }

    /** The process umask (it applies to what the daemon creates); 0777 if unknown. */
    static int umask() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Umask:")) return Integer.parseInt(line.substring(6).trim(), 8) & 0777;
            }
        } catch (IOException | RuntimeException e) {
            // no /proc status: assume any permission bit may have been taken
        }
        return 0777;
    }

    /**
     * The features of a share rooted at {@code rootFd}. Rename flags and fallocate modes are
     * declared only for file systems known to have them (an unknown one, NFS say, may refuse them);
     * O_TMPFILE and user xattrs are probed; whiteouts, device nodes and trusted/security xattrs need
     * the daemon to be root; backing fds exist only where kernel passthrough I/O is allowed.
     */
    static Set<Feature> probe(int rootFd, PassthroughOptions opts, boolean root) {
        Set<Feature> f = EnumSet.of(Feature.PERMISSIONS, Feature.HARD_LINKS, Feature.SYMLINKS, Feature.SEEK_DATA,
                Feature.COPY_FILE_RANGE, Feature.READDIRPLUS);
        long type;
        try {
            type = PosixFiles.fstatfs(rootFd).type();
        } catch (SysException e) {
            type = 0;
        }
        if (type == EXT4 || type == XFS || type == BTRFS || type == TMPFS || type == F2FS || type == BCACHEFS) {
            f.add(Feature.RENAME_NOREPLACE);
            f.add(Feature.RENAME_EXCHANGE);
            if (root) f.add(Feature.RENAME_WHITEOUT); // the host wants CAP_MKNOD for the whiteout
            f.add(Feature.FALLOCATE);
            f.add(Feature.PUNCH_HOLE);
        }
        if (root && opts.allowDev()) f.add(Feature.DEVICE_NODES);
        if (!opts.readOnly()) {
            try {
                Libc.close(PosixFiles.openat(rootFd, Name.DOT, OpenFlags.O_TMPFILE | OpenFlags.O_RDWR
                        | OpenFlags.O_CLOEXEC, 0600));
                f.add(Feature.TMPFILE);
            } catch (SysException e) {
                // EOPNOTSUPP (file system), EACCES (the daemon may not write the root): no tmpfiles
            }
        }
        try {
            PosixFiles.getxattrOf(rootFd, XattrName.of("user.strata.probe"));
            f.add(Feature.USER_XATTRS);
        } catch (SysException e) {
            if (e.errno() != Errno.EOPNOTSUPP) f.add(Feature.USER_XATTRS);
        }
        if (root) {
            f.add(Feature.TRUSTED_XATTRS);
            f.add(Feature.SECURITY_XATTRS);
        }
        try {
            PosixFiles.Stat s = PosixFiles.statx(rootFd, EMPTY_PATH, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW,
                    PassthroughFileSystem.STATX_MASK);
            if ((s.mask() & PosixFiles.STATX_BTIME) != 0) f.add(Feature.BTIME);
        } catch (SysException e) {
            // no btime then
        }
        if (opts.passthroughIo() && opts.mode() != CacheMode.SHARED) f.add(Feature.BACKING_FDS);
        return f;
    }
}
