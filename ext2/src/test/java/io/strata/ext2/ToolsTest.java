package io.strata.ext2;

import static org.junit.jupiter.api.Assertions.*;

import io.strata.core.Caller;
import io.strata.core.FileSystem;
import io.strata.core.Name;
import io.strata.core.XattrName;
import io.strata.ext2.tools.Ext2Tool;
import io.strata.ext2.tools.Mkfs;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** mkfs.ext2 (with -d) produces e2fsck-clean images matching the source; the ext2 tool works offline. */
class ToolsTest {
    Path tmp;

    @BeforeEach
    void setUp() throws Exception {
        TestSupport.assumeE2fsprogs();
        tmp = Files.createTempDirectory(Path.of("/tmp"), "ext2-tools");
    }

    @AfterEach
    void tearDown() throws Exception {
        if (tmp != null) TestSupport.deleteTree(tmp);
    }

    record Out(int rc, String out, String err) {}

    static Out mkfs(String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        int rc = Mkfs.run(args, new PrintStream(o, true), new PrintStream(e, true));
        return new Out(rc, o.toString(), e.toString());
    }

    static Out tool(String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        int rc = Ext2Tool.run(args, new PrintStream(o, true), new PrintStream(e, true));
        return new Out(rc, o.toString(), e.toString());
    }

    @ParameterizedTest
    @CsvSource({"1024,128", "2048,256", "4096,256"})
    void mkfsWithSourceDirectory(int bs, int isz) throws Exception {
        Path src = tmp.resolve("src");
        TestSupport.populate(src, 42);
        Files.createDirectories(src.resolve("many"));
        for (int i = 0; i < 300; i++) Files.writeString(src.resolve("many/file" + i), "x".repeat(i));
        // a user xattr on the source (Java's view: no dependency on the attr package's setfattr)
        Files.getFileAttributeView(src.resolve("hello.txt"), java.nio.file.attribute.UserDefinedFileAttributeView.class)
                .write("color", java.nio.ByteBuffer.wrap("blue".getBytes()));
        Path img = tmp.resolve("img");
        Out r = mkfs(img.toString(), "48M", "-b", "" + bs, "-I", "" + isz, "-d", src.toString());
        assertEquals(0, r.rc(), r.err());
        TestSupport.Result ck = TestSupport.fsck(img);
        assertEquals(0, ck.code(), ck.out());
        Path dump = tmp.resolve("dump");
        TestSupport.rdump(img, dump);
        TestSupport.assertSameTree(TestSupport.snapshot(src, false), TestSupport.snapshot(dump, false));
        try (var fs = new ReadImagesTest.Holder(Ext2FileSystem.open(img, Ext2Options.readOnlyDefaults()))) {
            TestSupport.assertSameTree(TestSupport.snapshot(src, true), TestSupport.snapshot(fs.fs()));
            long hello = fs.fs().lookup(Caller.ROOT, FileSystem.ROOT, Name.of("hello.txt")).ino();
            assertArrayEquals("blue".getBytes(), fs.fs().getxattr(Caller.ROOT, hello, XattrName.of("user.color")));
            fs.fs().forget(hello, 1);
        }
        String stats = TestSupport.run("debugfs", "-R", "stats", img.toString()).out();
        assertTrue(stats.contains("Block size:               " + bs), stats);
        assertTrue(stats.contains("Inode size:\t          " + isz) || stats.contains("Inode size:               " + isz), stats);
    }

    @Test
    void mkfsUsageAndBadArgs() {
        assertEquals(2, mkfs().rc());
        assertTrue(mkfs().err().contains("usage"));
        assertEquals(2, mkfs(tmp.resolve("x").toString(), "lots").rc());
        assertEquals(2, mkfs(tmp.resolve("x").toString(), "8M", "-Z").rc());
        assertEquals(2, mkfs(tmp.resolve("x").toString(), "8M", "-L", "a-label-longer-than-16").rc());
        assertEquals(2, mkfs(tmp.resolve("x").toString(), "8M", "-m", "60").rc());
        assertEquals(2, mkfs(tmp.resolve("x").toString()).rc(), "a new image needs a size");
        assertFalse(Files.exists(tmp.resolve("x")), "no image from bad arguments");
        Out help = mkfs("--help");
        assertEquals(0, help.rc());
        assertTrue(help.out().contains("-F") && help.err().isEmpty(), "help goes to stdout");
        assertNotEquals(0, mkfs(tmp.resolve("x").toString(), "8M", "-b", "3000").rc());
    }

    @Test
    void ext2ToolOperations() throws Exception {
        Path img = tmp.resolve("img");
        assertEquals(0, mkfs(img.toString(), "16M").rc());
        Path host = tmp.resolve("host.bin");
        byte[] data = new byte[3_000_000];
        new java.util.Random(3).nextBytes(data);
        Files.write(host, data);
        assertEquals(0, tool("mkdir", img.toString(), "/a/b/c").rc());
        assertEquals(0, tool("put", img.toString(), host.toString(), "/a/b/data.bin").rc());
        Out ls = tool("ls", img.toString(), "/a/b");
        assertEquals(0, ls.rc());
        assertTrue(ls.out().contains("data.bin") && ls.out().contains("3000000") && ls.out().contains("drwxr-xr-x"), ls.out());
        Path back = tmp.resolve("back.bin");
        assertEquals(0, tool("get", img.toString(), "/a/b/data.bin", back.toString()).rc());
        assertArrayEquals(data, Files.readAllBytes(back));
        Out cat = tool("cat", img.toString(), "/a/b/data.bin");
        assertEquals(data.length, cat.out().length() > 0 ? Files.size(back) : -1);
        Out missing = tool("cat", img.toString(), "/nope");
        assertEquals(1, missing.rc());
        assertEquals("ext2: /nope: No such file or directory\n", missing.err());
        assertEquals(1, tool("rm", img.toString(), "/a").rc()); // not empty
        assertEquals(0, tool("rm", "-r", img.toString(), "/a").rc());
        assertFalse(tool("ls", img.toString()).out().contains(" a\n"));
        assertEquals(2, tool("frobnicate", img.toString()).rc());
        assertEquals(2, tool("get", img.toString()).rc());
        TestSupport.Result ck = TestSupport.fsck(img);
        assertEquals(0, ck.code(), ck.out());
    }

    private static String sha(Path p) throws Exception {
        return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
    }

    @Test
    void mkfsRefusesToOverwriteWithoutForceAndLeavesNoBrokenImage() throws Exception {
        Path img = tmp.resolve("img");
        assertEquals(0, mkfs("-q", "-L", "precious", img.toString(), "8M").rc());
        String before = sha(img);
        Out again = mkfs(img.toString(), "8M");
        assertEquals(1, again.rc());
        assertTrue(again.err().contains("already holds an ext2 file system") && again.err().contains("precious")
                && again.err().contains("-F"), again.err());
        assertEquals(before, sha(img), "refused: not one byte changed");

        // a -d tree that cannot fit: the failure names the cause and the old image survives whole
        Path big = tmp.resolve("big");
        Files.createDirectories(big);
        byte[] chunk = new byte[1 << 20];
        new java.util.Random(1).nextBytes(chunk);
        for (int i = 0; i < 12; i++) Files.write(big.resolve("f" + i), chunk);
        Out full = mkfs("-F", "-d", big.toString(), img.toString(), "8M");
        assertEquals(1, full.rc());
        assertTrue(full.err().contains("ENOSPC") || full.err().contains("No space"), full.err());
        assertEquals(before, sha(img), "the old image is untouched after a failed -F");
        try (var names = Files.list(tmp)) {
            assertEquals(java.util.List.of("big", "img"), names.map(p -> p.getFileName().toString()).sorted().toList(), "no temporary left");
        }
        Path fresh = tmp.resolve("fresh");
        assertEquals(1, mkfs("-d", big.toString(), fresh.toString(), "8M").rc());
        assertFalse(Files.exists(fresh), "no broken new image");

        Path data = tmp.resolve("data");
        Files.write(data, chunk);
        Out notEmpty = mkfs(data.toString(), "8M");
        assertEquals(1, notEmpty.rc());
        assertTrue(notEmpty.err().contains("holds data"), notEmpty.err());
        assertEquals(0, mkfs("-q", "-F", data.toString(), "8M").rc());
        assertEquals(0, TestSupport.fsck(data).code());
        Out zeros = mkfs("-q", tmp.resolve("zeros").toString(), "4M");
        assertEquals(0, zeros.rc());
        assertEquals(0, mkfs("-q", "-F", tmp.resolve("zeros").toString()).rc(), "SIZE defaults to the existing image's");
        assertEquals(4L << 20, Files.size(tmp.resolve("zeros")));
    }

    @Test
    void mkfsTuningSummaryAndQuiet() throws Exception {
        Path img = tmp.resolve("img");
        Out r = mkfs("-L", "strata-data", "-N", "3000", "-m", "2", img.toString(), "32M");
        assertEquals(0, r.rc(), r.err());
        assertTrue(r.out().contains("blocks of 1024 bytes") && r.out().contains("inodes") && r.out().contains("UUID")
                && r.out().contains("strata-data"), r.out());
        assertEquals("", r.err());
        String h = TestSupport.run("dumpe2fs", "-h", img.toString()).out();
        assertTrue(h.contains("Filesystem volume name:   strata-data"), h);
        long inodes = Long.parseLong(h.replaceAll("(?s).*Inode count:\\s+(\\d+).*", "$1"));
        long blocks = Long.parseLong(h.replaceAll("(?s).*Block count:\\s+(\\d+).*", "$1"));
        long reserved = Long.parseLong(h.replaceAll("(?s).*Reserved block count:\\s+(\\d+).*", "$1"));
        assertTrue(inodes >= 3000 && inodes < 4000, "inodes " + inodes);
        assertEquals(blocks * 2 / 100, reserved);
        assertEquals(0, TestSupport.fsck(img).code());

        Path src = tmp.resolve("src");
        Files.createDirectories(src);
        for (int i = 0; i < 1200; i++) Files.writeString(src.resolve("f" + i), "x");
        Out q = mkfs("-q", "-d", src.toString(), tmp.resolve("q").toString(), "16M");
        assertEquals(0, q.rc(), q.err());
        assertEquals("", q.out() + q.err(), "-q prints nothing");
        Out loud = mkfs("-d", src.toString(), tmp.resolve("loud").toString(), "16M");
        assertTrue(loud.out().contains("copied 1200 entries"), loud.out());
        assertFalse(loud.err().contains("\r"), "no progress bar when not on a terminal: " + loud.err());
    }

    @Test
    void toolMessagesRecursiveCopiesAndNoStrayFiles() throws Exception {
        Path img = tmp.resolve("img");
        assertEquals(0, mkfs("-q", img.toString(), "16M").rc());
        Out help = tool("--help");
        assertEquals(0, help.rc());
        assertTrue(help.out().contains("get [-r]") && help.err().isEmpty());
        Out missing = tool("ls", tmp.resolve("nope.img").toString());
        assertEquals(1, missing.rc());
        assertEquals("ext2: " + tmp.resolve("nope.img") + ": no such file or directory\n", missing.err());

        Path src = tmp.resolve("tree");
        Files.createDirectories(src.resolve("a/b"));
        Files.writeString(src.resolve("a/b/f"), "hello");
        Files.createSymbolicLink(src.resolve("a/l"), Path.of("b/f"));
        Files.setPosixFilePermissions(src.resolve("a/b/f"), java.nio.file.attribute.PosixFilePermissions.fromString("rw-r-----"));
        Files.setLastModifiedTime(src.resolve("a/b/f"), java.nio.file.attribute.FileTime.fromMillis(1_600_000_000_000L));

        Out dir = tool("put", img.toString(), src.toString(), "/copy");
        assertEquals(1, dir.rc());
        assertTrue(dir.err().contains("is a directory") && dir.err().contains("put -r"), dir.err());
        assertFalse(tool("ls", img.toString(), "/").out().contains("copy"), "a refused put leaves no stray file");

        assertEquals(0, tool("put", "-r", img.toString(), src.toString(), "/copy").rc());
        Path out = tmp.resolve("out");
        Out get = tool("get", "-r", img.toString(), "/copy", out.toString());
        assertEquals(0, get.rc(), get.err());
        assertEquals("hello", Files.readString(out.resolve("a/b/f")));
        assertEquals("rw-r-----", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(out.resolve("a/b/f"))));
        assertEquals(1_600_000_000_000L, Files.getLastModifiedTime(out.resolve("a/b/f")).toMillis());
        assertEquals(Path.of("b/f"), Files.readSymbolicLink(out.resolve("a/l")));
        Out notRecursive = tool("get", img.toString(), "/copy", tmp.resolve("x").toString());
        assertEquals(1, notRecursive.rc());
        assertTrue(notRecursive.err().contains("get -r"), notRecursive.err());
        assertEquals(0, TestSupport.fsck(img).code());
    }
}
