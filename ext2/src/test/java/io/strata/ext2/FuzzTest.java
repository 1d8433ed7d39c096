package io.strata.ext2;

import static org.junit.jupiter.api.Assertions.*;

import io.strata.core.Caller;
import io.strata.core.Created;
import io.strata.core.Entry;
import io.strata.core.FileSystem;
import io.strata.core.FileType;
import io.strata.core.FsException;
import io.strata.core.Name;
import io.strata.core.Opened;
import io.strata.core.XattrName;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Corrupt images: random byte flips in the superblock, group descriptors, inode table, indirect and
 * directory blocks. Opening, walking, reading and writing must fail only with FsException or
 * IOException (with a message), never hang, and never write outside the image.
 */
class FuzzTest {
    private static final int ITERATIONS = Integer.getInteger("ext2.fuzzIterations", 300);

    @Test
    void corruptImagesFailCleanly() throws Exception {
        TestSupport.assumeE2fsprogs();
        Path tmp = Files.createTempDirectory(Path.of("/tmp"), "ext2-fuzz");
        try {
            Path src = tmp.resolve("src");
            TestSupport.populate(src, 1);
            Files.delete(src.resolve("a/b/f5000000"));
            List<byte[]> bases = new ArrayList<>();
            List<long[]> regions = new ArrayList<>(); // per base: byte ranges to hit
            for (int[] g : new int[][] {{1024, 128}, {4096, 256}}) {
                Path img = tmp.resolve("base" + g[0]);
                TestSupport.mke2fs(img, g[0] == 1024 ? "3M" : "8M", g[0], g[1], src);
                bases.add(Files.readAllBytes(img));
                regions.add(interesting(img, g[0]));
            }
            Random r = new Random(12345);
            Path img = tmp.resolve("fuzz.img");
            int opened = 0;
            for (int it = 0; it < ITERATIONS; it++) {
                int which = r.nextInt(bases.size());
                byte[] data = bases.get(which).clone();
                long[] reg = regions.get(which);
                int flips = 1 + r.nextInt(8);
                for (int k = 0; k < flips; k++) {
                    int ri = r.nextInt(reg.length / 2);
                    long start = reg[2 * ri], len = reg[2 * ri + 1];
                    int pos = (int) (start + (long) (r.nextDouble() * len));
                    data[pos] = r.nextInt(3) == 0 ? (byte) r.nextInt(256) : (byte) (data[pos] ^ (1 << r.nextInt(8)));
                }
                Files.write(img, data);
                long size = Files.size(img);
                final int iter = it;
                boolean ok = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> exercise(img, iter));
                if (ok) opened++;
                assertEquals(size, Files.size(img), "iteration " + it + " changed the image size");
            }
            assertTrue(opened > ITERATIONS / 10, "too few corrupt images could be opened at all: " + opened);
        } finally {
            TestSupport.deleteTree(tmp);
        }
    }

    /** Superblock, GDT, inode table start, and every block debugfs reports as IND/DIND or directory. */
    private static long[] interesting(Path img, int bs) throws Exception {
        List<Long> out = new ArrayList<>();
        out.add(1024L); out.add(1024L);                         // superblock
        out.add((long) (bs == 1024 ? 2 : 1) * bs); out.add((long) bs); // GDT
        String stats = TestSupport.run("debugfs", "-R", "stats", img.toString()).out();
        Matcher m = Pattern.compile("Inode table at (\\d+)").matcher(stats);
        if (m.find()) { out.add(Long.parseLong(m.group(1)) * bs); out.add(8L * bs); }
        for (String p : new String[] {"/a/b/f300000", "/a/b/f12289"}) {
            String st = TestSupport.run("debugfs", "-R", "stat " + p, img.toString()).out();
            Matcher mi = Pattern.compile("\\((?:IND|DIND|TIND)\\):(\\d+)").matcher(st);
            while (mi.find()) { out.add(Long.parseLong(mi.group(1)) * bs); out.add((long) bs); }
        }
        for (String d : new String[] {"/", "/a", "/a/b", "/a/b/c"}) {
            String bl = TestSupport.run("debugfs", "-R", "blocks " + d, img.toString()).out().trim();
            for (String b : bl.split("\\s+")) {
                if (b.matches("\\d+")) { out.add(Long.parseLong(b) * bs); out.add((long) bs); }
            }
        }
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    /** Returns true if the image could be opened. Only FsException/IOException may escape. */
    private static boolean exercise(Path img, int iter) {
        Ext2FileSystem fs;
        try {
            fs = Ext2FileSystem.open(img, Ext2Options.defaults());
        } catch (IOException e) {
            assertNotNull(e.getMessage());
            return false;
        } catch (RuntimeException e) {
            throw new AssertionError("iteration " + iter + ": open threw " + e, e);
        }
        try {
            walk(fs, FileSystem.ROOT, 0);
            Caller c = Caller.ROOT;
            try {
                Created cr = fs.create(c, FileSystem.ROOT, Name.of("fuzz-new"), 0644, 2, 0);
                fs.write(c, cr.entry().ino(), cr.opened().fh(), 0, ByteBuffer.allocate(70_000), 0);
                fs.release(cr.entry().ino(), cr.opened().fh(), 0);
                fs.forget(cr.entry().ino(), 1);
            } catch (FsException e) {
                assertNotNull(e.getMessage());
            }
            attempt(() -> fs.forget(fs.mkdir(c, FileSystem.ROOT, Name.of("fuzz-dir"), 0755, 0).ino(), 1));
            attempt(() -> fs.rename(c, FileSystem.ROOT, Name.of("hello.txt"), FileSystem.ROOT, Name.of("renamed"), 0));
            attempt(() -> fs.unlink(c, FileSystem.ROOT, Name.of("short-link")));
            attempt(() -> {
                Entry a = fs.lookup(c, FileSystem.ROOT, Name.of("a"));
                Entry b = fs.lookup(c, a.ino(), Name.of("b"));
                Entry f = fs.lookup(c, b.ino(), Name.of("f300000"));
                fs.setattr(c, f.ino(), io.strata.core.SetAttr.size(5000));
                fs.setxattr(c, f.ino(), XattrName.of("user.fuzz"), new byte[100], 0);
                fs.unlink(c, b.ino(), Name.of("f12289"));
                fs.rmdir(c, FileSystem.ROOT, Name.of("empty"));
            });
            return true;
        } catch (FsException e) {
            assertNotNull(e.getMessage());
            return true;
        } catch (RuntimeException e) {
            throw new AssertionError("iteration " + iter + ": " + e, e);
        } finally {
            try {
                fs.unmount();
            } catch (IOException e) {
                assertNotNull(e.getMessage());
            } catch (RuntimeException e) {
                throw new AssertionError("iteration " + iter + ": close threw " + e, e);
            }
        }
    }

    interface Op {
        void run() throws FsException;
    }

    private static void attempt(Op op) {
        try {
            op.run();
        } catch (FsException e) {
            assertNotNull(e.getMessage());
        }
    }

    private static void walk(FileSystem fs, long dir, int depth) throws FsException {
        if (depth > 20) return;
        List<Name> names = new ArrayList<>();
        try {
            fs.readdir(Caller.ROOT, dir, 0, 0, (n, ino, t, next) -> names.add(n) && names.size() < 10_000);
        } catch (FsException e) {
            return;
        }
        for (Name n : names) {
            if (n.equals(Name.DOT) || n.equals(Name.DOTDOT)) continue;
            Entry e;
            try {
                e = fs.lookup(Caller.ROOT, dir, n);
            } catch (FsException ex) {
                continue;
            }
            try {
                int mode = e.attr().mode();
                if (FileType.isDir(mode)) walk(fs, e.ino(), depth + 1);
                else if (FileType.isLink(mode)) fs.readlink(Caller.ROOT, e.ino());
                else if (FileType.isReg(mode)) {
                    Opened o = fs.open(Caller.ROOT, e.ino(), 0);
                    try {
                        ByteBuffer b = ByteBuffer.allocate(65536);
                        long off = 0;
                        for (int i = 0; i < 200; i++) {
                            b.clear();
                            int k = fs.read(Caller.ROOT, e.ino(), o.fh(), off, b);
                            if (k == 0) break;
                            off += k;
                        }
                        fs.lseek(Caller.ROOT, e.ino(), o.fh(), 0, FileSystem.SEEK_HOLE);
                    } finally {
                        fs.release(e.ino(), o.fh(), 0);
                    }
                }
                fs.listxattr(Caller.ROOT, e.ino());
            } catch (FsException ex) {
                // expected on corrupt metadata
            } finally {
                fs.forget(e.ino(), 1);
            }
        }
    }
}
