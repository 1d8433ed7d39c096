package io.strata.passthrough;

import io.strata.core.Caller;
import io.strata.core.Invalidations;
import io.strata.core.Name;
import io.strata.sys.Libc;
import io.strata.sys.PosixFiles;
import io.strata.sys.SysException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A source dir (mode 0777, so other users may create in it), a sentinel dir outside it, and a file
 * system over the source, subscribed to a recording sink; closes everything.
 */
final class Fixture implements AutoCloseable {
    static final Caller ROOT = Caller.ROOT;
    static final Caller USER = new Caller(1000, 1000, 42);

    final Path base;
    final Path src;
    final Path outside;
    final PassthroughFileSystem fs;
    final Recording inval = new Recording();
    private final Invalidations.Subscription subscription;

    Fixture(PassthroughOptions opts) throws Exception {
        this(opts, true, FileHandles.KERNEL);
    }

    Fixture(PassthroughOptions opts, boolean allowSwitch, FileHandles.Source handles) throws Exception {
        base = Files.createTempDirectory(Path.of("/tmp"), "strata-pt");
        src = Files.createDirectory(base.resolve("src"));
        Files.setPosixFilePermissions(src, PosixFilePermissions.fromString("rwxrwxrwx"));
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
        outside = Files.createDirectory(base.resolve("outside"));
        Files.writeString(outside.resolve("victim"), "do not touch");
        Files.createDirectory(outside.resolve("dir"));
        try {
            fs = PassthroughFileSystem.open(src, opts, allowSwitch, handles);
        } catch (IOException | RuntimeException e) {
            deleteTree(base); // a fixture that failed to open leaves nothing behind
            throw e;
        }
        subscription = fs.subscribe(inval);
    }

    static Name n(String s) {
        return Name.of(s);
    }

    /** Names, types, sizes and mtimes of everything under the sentinel directory. */
    String outsideSnapshot() throws IOException {
        TreeMap<String, String> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(outside)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                m.put(outside.relativize(p).toString(), Files.isDirectory(p) + ":" + Files.size(p) + ":"
                        + Files.getLastModifiedTime(p).toMillis());
            }
        }
        return m.toString();
    }

    @Override
    public void close() throws IOException {
        subscription.close();
        fs.close();
        deleteTree(base);
    }

    /**
     * Removes a tree by bytes (getdents64 + unlinkat): java.nio.file cannot even name an entry
     * whose name is not valid in the JVM's file-name encoding (the tests make such names).
     */
    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return;
        int fd = Libc.open(p.toString(), Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_NOFOLLOW | Libc.O_CLOEXEC, 0);
        try {
            emptyDir(fd);
        } finally {
            Libc.close(fd);
        }
        Files.delete(p);
    }

    private static void emptyDir(int dirfd) throws SysException {
        List<Name> names = new java.util.ArrayList<>();
        try (PosixFiles.DirBuffer buf = new PosixFiles.DirBuffer(32 * 1024)) {
            for (List<PosixFiles.Dirent> l; !(l = PosixFiles.getdents64(dirfd, buf)).isEmpty(); ) {
                for (PosixFiles.Dirent d : l) if (!d.name().isDotOrDotDot()) names.add(d.name());
            }
        }
        for (Name n : names) {
            PosixFiles.Stat st = PosixFiles.statx(dirfd, n, PosixFiles.AT_SYMLINK_NOFOLLOW, PosixFiles.STATX_BASIC_STATS);
            if (st.isDir()) {
                int sub = PosixFiles.openat(dirfd, n, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_NOFOLLOW | Libc.O_CLOEXEC, 0);
                try {
                    emptyDir(sub);
                } finally {
                    Libc.close(sub);
                }
                PosixFiles.unlinkat(dirfd, n, PosixFiles.AT_REMOVEDIR);
            } else {
                PosixFiles.unlinkat(dirfd, n, 0);
            }
        }
    }

    /** Records invalidations as strings: "inode ID OFF LEN", "entry PARENT NAME", "delete PARENT CHILD NAME". */
    static final class Recording implements Invalidations {
        final LinkedBlockingQueue<String> q = new LinkedBlockingQueue<>();
        final LinkedBlockingQueue<Name> names = new LinkedBlockingQueue<>();

        @Override
        public void inode(long ino, long off, long len) {
            q.add("inode " + ino + " " + off + " " + len);
        }

        @Override
        public void entry(long parent, Name name) {
            names.add(name);
            q.add("entry " + parent + " " + name);
        }

        @Override
        public void delete(long parent, long child, Name name) {
            names.add(name);
            q.add("delete " + parent + " " + child + " " + name);
        }

        /** Waits until {@code expected} was recorded (consuming events up to it); false on timeout. */
        boolean await(String expected, long millis) throws InterruptedException {
            long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
            for (long left; (left = end - System.nanoTime()) > 0; ) {
                String s = q.poll(left, TimeUnit.NANOSECONDS);
                if (expected.equals(s)) return true;
            }
            return false;
        }

        List<String> drain(long quietMillis) throws InterruptedException {
            List<String> out = new java.util.ArrayList<>();
            for (String s; (s = q.poll(quietMillis, TimeUnit.MILLISECONDS)) != null; ) out.add(s);
            return out;
        }
    }
}
