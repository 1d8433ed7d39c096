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
        assertEquals(2, mkfs(tmp.resolve("x").toString(), "8M", "-q").rc());
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
        assertTrue(missing.err().contains("ENOENT"), missing.err());
        assertEquals(1, tool("rm", img.toString(), "/a").rc()); // not empty
        assertEquals(0, tool("rm", "-r", img.toString(), "/a").rc());
        assertFalse(tool("ls", img.toString()).out().contains(" a\n"));
        assertEquals(2, tool("frobnicate", img.toString()).rc());
        assertEquals(2, tool("get", img.toString()).rc());
        TestSupport.Result ck = TestSupport.fsck(img);
        assertEquals(0, ck.code(), ck.out());
    }
}
