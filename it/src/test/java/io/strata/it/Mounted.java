package io.strata.it;

import io.strata.core.CacheMode;
import io.strata.core.FileSystem;
import io.strata.fuse.FuseConfig;
import io.strata.fuse.FuseSession;
import io.strata.fuse.Mounter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A Strata file system mounted through the kernel for a test. Always closed in a finally (or
 * try-with-resources); a JVM shutdown hook and a sweep of earlier runs' leftovers make sure no
 * dead mount (ENOTCONN) survives a crashed or killed test JVM.
 *
 * <p>The test that builds a file system owns it: a Mounted made by {@link #mount} takes that
 * ownership and closes the file system after the unmount (the FUSE session never does); one made
 * by {@link #serve} only unmounts, for a file system served by several frontends at once.
 */
final class Mounted implements AutoCloseable {
    static final String PREFIX = "strata-it-";

    static {
        sweepLeftovers();
    }

    final Path dir;
    final FileSystem fs;
    private final FuseSession session;
    private final boolean ownsFs;
    private final Thread hook;
    Path source; // passthrough: the host directory behind the mount, removed on close
    Path image; // ext2: the image, fsck-checked and removed (with its folder) on close

    private Mounted(Path dir, FileSystem fs, FuseSession session, boolean ownsFs) {
        this.dir = dir;
        this.fs = fs;
        this.session = session;
        this.ownsFs = ownsFs;
        this.hook = new Thread(() -> Mounter.unmount(dir, false));
        Runtime.getRuntime().addShutdownHook(hook);
    }

    static Mounted mount(FileSystem fs, CacheMode mode) throws IOException {
        return mount(fs, mode, true);
    }

    /** allow_other (the suites also act as other users: setpriv, setuid children). */
    static Mounted mount(FileSystem fs, CacheMode mode, boolean defaultPermissions) throws IOException {
        return mount(fs, FuseConfig.defaults(mode).withNames("strata-it", "strata").withAccess(true, defaultPermissions, false));
    }

    /** Mounts {@code fs} and takes ownership of it: closed after the unmount, or now if the mount fails. */
    static Mounted mount(FileSystem fs, FuseConfig cfg) throws IOException {
        try {
            return start(fs, cfg, true);
        } catch (IOException | RuntimeException e) {
            fs.close();
            throw e;
        }
    }

    /** Mounts {@code fs} without owning it: close() unmounts and leaves the file system open. */
    static Mounted serve(FileSystem fs, FuseConfig cfg) throws IOException {
        return start(fs, cfg, false);
    }

    private static Mounted start(FileSystem fs, FuseConfig cfg, boolean ownsFs) throws IOException {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), PREFIX);
        try {
            return new Mounted(dir, fs, FuseSession.mount(fs, dir, cfg), ownsFs);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(dir);
            throw e;
        }
    }

    Mounted withImage(Path img) {
        this.image = img;
        return this;
    }

    Mounted withSource(Path src) {
        this.source = src;
        return this;
    }

    /** The FUSE session (its request statistics). */
    FuseSession session() {
        return session;
    }

    Path path(String rel) {
        return dir.resolve(rel);
    }

    @Override
    public void close() throws IOException {
        try {
            session.close();
        } finally {
            // The owner closes the file system once nothing serves it any more.
            if (ownsFs) fs.close();
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // hook already running
        }
        if (isMounted(dir)) throw new IOException(dir + " is still mounted after close");
        Files.deleteIfExists(dir);
        if (source != null) Sh.rm(source);
        if (image != null) {
            try {
                Sh fsck = Sh.run("e2fsck -fn " + Sh.q(image), null, 300);
                if (fsck.code() != 0) throw new IOException("e2fsck -fn found problems after unmount:\n" + fsck.out());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                Sh.rm(image.getParent());
            }
        }
    }

    static boolean isMounted(Path dir) {
        try {
            return Files.readAllLines(Path.of("/proc/self/mounts")).stream().anyMatch(l -> l.split(" ")[1].equals(dir.toString()));
        } catch (IOException e) {
            return false;
        }
    }

    /** Detaches dead mounts (ENOTCONN) left under /tmp/strata-it-* by an earlier JVM that died. */
    static void sweepLeftovers() {
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/self/mounts"));
            for (String l : lines) {
                String[] p = l.split(" ");
                if (p.length > 2 && p[2].startsWith("fuse") && p[1].startsWith("/tmp/" + PREFIX) && Mounter.isDead(Path.of(p[1]))) {
                    Mounter.unmount(Path.of(p[1]), false);
                }
            }
        } catch (IOException ignored) {
            // no /proc: nothing to sweep
        }
    }
}
