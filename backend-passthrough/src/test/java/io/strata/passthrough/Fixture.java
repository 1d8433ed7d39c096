package io.strata.passthrough;

import io.strata.core.Caller;
import io.strata.core.FsContext;
import io.strata.core.Invalidations;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** A source dir, a sentinel dir outside it, and a file system over the source; cleans up. */
final class Fixture implements AutoCloseable {
    static final Caller ROOT = Caller.ROOT;
    static final Caller USER = new Caller(1000, 1000, 42);

    final Path base;
    final Path src;
    final Path outside;
    final PassthroughFileSystem fs;
    final Recording inval = new Recording();

    Fixture(PassthroughOptions opts) throws Exception {
        base = Files.createTempDirectory(Path.of("/tmp"), "strata-pt");
        src = Files.createDirectory(base.resolve("src"));
        outside = Files.createDirectory(base.resolve("outside"));
        Files.writeString(outside.resolve("victim"), "do not touch");
        Files.createDirectory(outside.resolve("dir"));
        fs = PassthroughFileSystem.open(src, opts);
        fs.init(new FsContext(inval));
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
        fs.destroy();
        try (Stream<Path> s = Files.walk(base)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** Records invalidations as strings: "inode ID OFF LEN", "entry PARENT NAME", "delete PARENT CHILD NAME". */
    static final class Recording implements Invalidations {
        final LinkedBlockingQueue<String> q = new LinkedBlockingQueue<>();

        @Override
        public void inode(long ino, long off, long len) {
            q.add("inode " + ino + " " + off + " " + len);
        }

        @Override
        public void entry(long parent, String name) {
            q.add("entry " + parent + " " + name);
        }

        @Override
        public void delete(long parent, long child, String name) {
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
