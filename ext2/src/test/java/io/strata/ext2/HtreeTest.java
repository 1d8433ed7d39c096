package io.strata.ext2;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.strata.core.Caller;
import io.strata.core.Created;
import io.strata.core.Entry;
import io.strata.core.Errno;
import io.strata.core.FileSystem;
import io.strata.core.FsException;
import io.strata.core.Name;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Indexed (htree) directories: images indexed by e2fsck -D are read through the index and stay
 * indexed when Strata changes them; directories Strata grows get an index e2fsck accepts; readdir
 * in hash order survives splits.
 */
class HtreeTest {
    private static final Caller ROOT = Caller.ROOT;

    private static String debugfs(Path img, String req) throws Exception {
        return TestSupport.run("debugfs", "-R", req, img.toString()).out();
    }

    private static int indirectLevels(Path img, String dir) throws Exception {
        String out = debugfs(img, "htree " + dir);
        for (String line : out.split("\n")) {
            if (line.contains("Indirect levels:")) return Integer.parseInt(line.replaceAll("\\D", ""));
        }
        fail("no htree root in " + dir + ":\n" + out.lines().limit(10).toList());
        return -1;
    }

    private static boolean indexed(Path img, String dir) throws Exception {
        return debugfs(img, "stat " + dir).contains("Flags: 0x1000");
    }

    private static Set<Name> listAll(FileSystem fs, long dir) throws FsException {
        Set<Name> names = new LinkedHashSet<>();
        fs.readdir(ROOT, dir, 0, 0, (n, ino, t, next) -> {
            assertTrue(names.add(n), "listed twice: " + n);
            return true;
        });
        return names;
    }

    private static void createFile(FileSystem fs, long dir, Name n) throws FsException {
        Created c = fs.create(ROOT, dir, n, 0644, 1, 0);
        fs.release(c.entry().ino(), c.opened().fh(), 0);
        fs.forget(c.entry().ino(), 1);
    }

    private static long lookupIno(FileSystem fs, long dir, Name n) throws FsException {
        Entry e = fs.lookup(ROOT, dir, n);
        fs.forget(e.ino(), 1);
        return e.ino();
    }

    /**
     * A directory with many names made by the kernel (loop mount, linear), indexed by e2fsck -fD
     * with each hash, signed and unsigned: every name is found through the index, the listing is
     * complete, and after creates and deletes through Strata the index is still there and clean.
     */
    @ParameterizedTest
    @CsvSource({"half_md4,signed,100000,4096", "tea,signed,20000,1024", "legacy,signed,20000,1024",
            "half_md4,unsigned,20000,1024", "tea,unsigned,6000,2048"})
    void kernelMadeDirectoryIndexedByE2fsck(String hashAlg, String chars, int count, int bs) throws Exception {
        TestSupport.assumeE2fsprogs();
        Path tmp = Files.createTempDirectory(Path.of("/tmp"), "ext2-htree");
        Path mnt = tmp.resolve("mnt");
        try {
            Path img = tmp.resolve("img");
            TestSupport.mke2fs(img, (count / 100 + 64) + "M", bs, 128, null, "-N", "" + (count + 20000));
            // e2fsck -D indexes with the superblock's default hash and char signedness
            for (String ssv : new String[] {"ssv def_hash_version " + hashAlg, "ssv flags " + (chars.equals("unsigned") ? 2 : 1)}) {
                TestSupport.Result r = TestSupport.run("debugfs", "-w", "-R", ssv, img.toString());
                assertEquals(0, r.code(), r.out());
            }
            Files.createDirectories(mnt);
            TestSupport.Result m = TestSupport.run("mount", "-t", "ext2", "-o", "loop", img.toString(), mnt.toString());
            assumeTrue(m.code() == 0, "cannot loop-mount ext2 here: " + m.out());
            List<String> names = new ArrayList<>();
            try {
                Files.createDirectory(mnt.resolve("big"));
                for (int i = 0; i < count; i++) {
                    // varied lengths, and bytes >= 0x80 so signed and unsigned hashing differ
                    String n = "f" + i + "-" + "x".repeat(i % 37) + (i % 5 == 0 ? "\u00e9t\u00e9" : "");
                    names.add(n);
                    Files.createFile(mnt.resolve("big").resolve(n));
                }
            } finally {
                TestSupport.run("umount", mnt.toString());
            }
            TestSupport.Result fsck = TestSupport.run("e2fsck", "-fyD", img.toString());
            assertTrue(fsck.code() <= 1, fsck.out());
            assertTrue(indexed(img, "/big"), "e2fsck -D did not index /big");
            if (count >= 20000) assertEquals(1, indirectLevels(img, "/big"), "expected a two-level index");

            Set<Name> removed = new HashSet<>(), added = new HashSet<>();
            try (Ext2FileSystem fs = Ext2FileSystem.open(img, Ext2Options.defaults())) {
                long big = lookupIno(fs, FileSystem.ROOT, Name.of("big"));
                for (String n : names) lookupIno(fs, big, Name.of(n)); // throws ENOENT if the index misleads us
                FsException miss = assertThrows(FsException.class, () -> fs.lookup(ROOT, big, Name.of("f0-not-there")));
                assertEquals(Errno.ENOENT, miss.errno());
                Set<Name> listed = listAll(fs, big);
                assertEquals(count + 2, listed.size());
                for (int i = 0; i < count; i += 7) {
                    Name n = Name.of(names.get(i));
                    fs.unlink(ROOT, big, n);
                    removed.add(n);
                }
                for (int i = 0; i < count / 5; i++) {
                    Name n = Name.of("new-" + i + "-" + "y".repeat(i % 50));
                    createFile(fs, big, n);
                    added.add(n);
                }
                for (Name n : added) lookupIno(fs, big, n);
                for (Name n : removed) assertThrows(FsException.class, () -> fs.lookup(ROOT, big, n));
            }
            TestSupport.Result r = TestSupport.fsck(img);
            assertEquals(0, r.code(), r.out());
            assertTrue(indexed(img, "/big"), "the index was dropped");
            try (Ext2FileSystem fs = Ext2FileSystem.open(img, Ext2Options.defaults())) {
                long big = lookupIno(fs, FileSystem.ROOT, Name.of("big"));
                assertEquals(count + 2 - removed.size() + added.size(), listAll(fs, big).size());
                for (Name n : added) lookupIno(fs, big, n);
            }
        } finally {
            if (Files.exists(mnt) && Files.readString(Path.of("/proc/mounts")).contains(" " + mnt + " ")) {
                TestSupport.run("umount", "-l", mnt.toString());
            }
            TestSupport.deleteTree(tmp);
        }
    }

    /**
     * A directory grown by Strata on its own image: indexed when its first block fills, two levels
     * and node splits on the way (1 KiB blocks), names found after removals, e2fsck -fn clean, and
     * the kernel's view (debugfs) of the index agrees.
     */
    @Test
    void strataGrowsAnIndexE2fsckAccepts() throws Exception {
        TestSupport.assumeE2fsprogs();
        Path tmp = Files.createTempDirectory(Path.of("/tmp"), "ext2-htree");
        try {
            Path img = tmp.resolve("img");
            Layout.format(img, 96L << 20, 1024, 128, 2048);
            Random rnd = new Random(42);
            Map<Name, Boolean> live = new HashMap<>();
            try (Ext2FileSystem fs = Ext2FileSystem.open(img, Ext2Options.defaults())) {
                Entry d = fs.mkdir(ROOT, FileSystem.ROOT, Name.of("big"), 0755, 0);
                fs.forget(d.ino(), 1);
                for (int i = 0; i < 30000; i++) {
                    byte[] raw = ("n" + i + "-" + "z".repeat(rnd.nextInt(60))).getBytes(StandardCharsets.UTF_8);
                    if (i % 11 == 0) raw[raw.length - 1] = (byte) (0x80 + rnd.nextInt(0x7f)); // non-UTF-8 bytes
                    Name n = Name.wrap(raw);
                    createFile(fs, d.ino(), n);
                    live.put(n, true);
                    if (i % 3 == 2) { // delete a random earlier one now and then
                        Name victim = live.keySet().iterator().next();
                        fs.unlink(ROOT, d.ino(), victim);
                        live.remove(victim);
                    }
                }
                for (Name n : live.keySet()) lookupIno(fs, d.ino(), n);
                assertEquals(live.size() + 2, listAll(fs, d.ino()).size());
                Entry small = fs.mkdir(ROOT, FileSystem.ROOT, Name.of("small"), 0755, 0);
                fs.forget(small.ino(), 1);
                for (int i = 0; i < 5; i++) createFile(fs, small.ino(), Name.of("s" + i));
            }
            TestSupport.Result r = TestSupport.fsck(img);
            assertEquals(0, r.code(), r.out());
            assertTrue(indexed(img, "/big"));
            assertEquals(1, indirectLevels(img, "/big"));
            assertFalse(indexed(img, "/small"), "a one-block directory needs no index");
        } finally {
            TestSupport.deleteTree(tmp);
        }
    }

    /**
     * A listing paged a few names at a time, with creates and deletes between the pages (which
     * split leaves): every name that lived through the whole listing is returned exactly once,
     * and nothing is returned twice.
     */
    @Test
    void hashOrderReaddirSurvivesSplits() throws Exception {
        Path tmp = Files.createTempDirectory(Path.of("/tmp"), "ext2-htree");
        try {
            Path img = tmp.resolve("img");
            Layout.format(img, 64L << 20, 1024, 128, 4096);
            try (Ext2FileSystem fs = Ext2FileSystem.open(img, Ext2Options.defaults())) {
                Entry d = fs.mkdir(ROOT, FileSystem.ROOT, Name.of("churn"), 0755, 0);
                long dir = d.ino();
                fs.forget(dir, 1);
                List<Name> present = new ArrayList<>();
                for (int i = 0; i < 3000; i++) {
                    Name n = Name.of("start-" + i);
                    createFile(fs, dir, n);
                    present.add(n);
                }
                Set<Name> survivors = new HashSet<>(present);
                Set<Name> seen = new HashSet<>();
                Random rnd = new Random(7);
                long[] cookie = {0};
                int made = 0;
                while (true) {
                    int[] got = {0};
                    fs.readdir(ROOT, dir, 0, cookie[0], (n, ino, t, next) -> {
                        if (got[0] == 5) return false;
                        assertTrue(seen.add(n), "returned twice: " + n);
                        got[0]++;
                        cookie[0] = next;
                        return true;
                    });
                    if (got[0] == 0) break;
                    for (int k = 0; k < 8; k++) { // grow: splits happen between pages
                        Name n = Name.of("added-" + made++ + "-" + "q".repeat(rnd.nextInt(40)));
                        createFile(fs, dir, n);
                        present.add(n);
                    }
                    for (int k = 0; k < 3; k++) {
                        Name victim = present.remove(rnd.nextInt(present.size()));
                        fs.unlink(ROOT, dir, victim);
                        survivors.remove(victim);
                    }
                }
                for (Name n : survivors) assertTrue(seen.contains(n), "survivor never listed: " + n);
                assertTrue(made > 5000, "the directory should have grown a lot during the listing: " + made);
            }
            if (TestSupport.haveTool("e2fsck")) {
                TestSupport.Result r = TestSupport.fsck(img);
                assertEquals(0, r.code(), r.out());
            }
        } finally {
            TestSupport.deleteTree(tmp);
        }
    }

    /** Without dir_index on the image, an index flag is not trusted and a change clears it (kernel ext2). */
    @Test
    void noDirIndexFeatureMeansLinear() throws Exception {
        Path tmp = Files.createTempDirectory(Path.of("/tmp"), "ext2-htree");
        try {
            Path img = tmp.resolve("img");
            Layout.format(img, 32L << 20, 1024, 128, 4096,
                    new Layout.Tuning(new byte[0], 0, 5, false));
            try (Ext2FileSystem fs = Ext2FileSystem.open(img, Ext2Options.defaults())) {
                Entry d = fs.mkdir(ROOT, FileSystem.ROOT, Name.of("d"), 0755, 0);
                fs.forget(d.ino(), 1);
                for (int i = 0; i < 500; i++) createFile(fs, d.ino(), Name.of("file-number-" + i));
                assertEquals(502, listAll(fs, d.ino()).size());
            }
            if (TestSupport.haveTool("debugfs")) {
                assertFalse(indexed(img, "/d"));
                assertEquals(0, TestSupport.fsck(img).code());
            }
        } finally {
            TestSupport.deleteTree(tmp);
        }
    }

    /** A corrupt index (bad root info, a pointer past the directory's end) is EIO naming the inode, not a crash. */
    @Test
    void corruptIndexIsEio() throws Exception {
        Path tmp = Files.createTempDirectory(Path.of("/tmp"), "ext2-htree");
        try {
            Path img = tmp.resolve("img");
            Layout.format(img, 16L << 20, 1024, 128, 4096);
            long dirIno;
            long rootBlock;
            try (Ext2FileSystem fs = Ext2FileSystem.open(img, Ext2Options.defaults())) {
                Entry d = fs.mkdir(ROOT, FileSystem.ROOT, Name.of("d"), 0755, 0);
                dirIno = d.ino();
                fs.forget(dirIno, 1);
                for (int i = 0; i < 200; i++) createFile(fs, dirIno, Name.of("name-" + i));
                Ext2Inode in = fs.volume().inodes.get((int) dirIno);
                assertTrue((in.flags & Ext2Inode.EXT2_INDEX_FL) != 0, "200 names should have indexed the directory");
                rootBlock = in.block[0] & 0xffffffffL;
                fs.volume().inodes.put(in);
            }
            for (int[] patch : new int[][] {{28, 9}, {34, 0xff}}) { // hash version 9; count 255 > limit
                byte[] saved = new byte[1];
                try (var ch = java.nio.channels.FileChannel.open(img, java.nio.file.StandardOpenOption.READ,
                        java.nio.file.StandardOpenOption.WRITE)) {
                    ch.read(java.nio.ByteBuffer.wrap(saved), rootBlock * 1024 + patch[0]);
                    ch.write(java.nio.ByteBuffer.wrap(new byte[] {(byte) patch[1]}), rootBlock * 1024 + patch[0]);
                }
                try (Ext2FileSystem fs = Ext2FileSystem.open(img, Ext2Options.defaults())) {
                    FsException e = assertThrows(FsException.class, () -> fs.lookup(ROOT, dirIno, Name.of("name-7")));
                    assertEquals(Errno.EIO, e.errno());
                    assertTrue(e.getMessage().contains("inode " + dirIno), e.getMessage());
                    assertThrows(FsException.class, () -> createFile(fs, dirIno, Name.of("another")));
                    fs.forget(fs.lookup(ROOT, FileSystem.ROOT, Name.of("d")).ino(), 1); // the rest still works
                }
                try (var ch = java.nio.channels.FileChannel.open(img, java.nio.file.StandardOpenOption.WRITE)) {
                    ch.write(java.nio.ByteBuffer.wrap(saved), rootBlock * 1024 + patch[0]);
                }
            }
        } finally {
            TestSupport.deleteTree(tmp);
        }
    }
}
