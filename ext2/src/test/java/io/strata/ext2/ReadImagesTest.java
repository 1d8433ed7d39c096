package io.strata.ext2;

import static org.junit.jupiter.api.Assertions.*;

import io.strata.core.Caller;
import io.strata.core.Entry;
import io.strata.core.FileSystem;
import io.strata.core.Name;
import io.strata.core.Opened;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Images made by mke2fs -d read back exactly. */
class ReadImagesTest {
    Path tmp;

    @BeforeEach
    void setUp() throws Exception {
        TestSupport.assumeE2fsprogs();
        tmp = Files.createTempDirectory(Path.of("/tmp"), "ext2-read");
    }

    @AfterEach
    void tearDown() throws Exception {
        if (tmp != null) TestSupport.deleteTree(tmp);
    }

    @ParameterizedTest
    @CsvSource({"1024,128", "1024,256", "2048,128", "2048,256", "4096,128", "4096,256"})
    void readsMke2fsImage(int bs, int isz) throws Exception {
        Path src = tmp.resolve("src");
        TestSupport.populate(src, bs + isz);
        Path img = tmp.resolve("img");
        TestSupport.mke2fs(img, "32M", bs, isz, src);
        Map<String, String> expect = TestSupport.snapshot(src, true);
        try (var h = new Holder(Ext2FileSystem.open(img, Ext2Options.readOnlyDefaults()))) {
            TestSupport.assertSameTree(expect, TestSupport.snapshot(h.fs));
            assertTrue(h.fs.readOnly());
        }
        // a read-write mount and clean unmount leaves a clean file system
        try (var h = new Holder(Ext2FileSystem.open(img, Ext2Options.defaults()))) {
            TestSupport.assertSameTree(expect, TestSupport.snapshot(h.fs));
        }
        TestSupport.Result r = TestSupport.fsck(img);
        assertEquals(0, r.code(), r.out());
    }

    @Test
    void sparseFileBeyond4GiBOnOneKiBBlocks() throws Exception {
        Path src = tmp.resolve("src");
        Files.createDirectories(src);
        Path f = src.resolve("sparse");
        long[] offs = {0, 5000, 70_000_000L, 1L << 32, (5L << 30) + 12345};
        try (var ch = java.nio.channels.FileChannel.open(f, java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.WRITE)) {
            for (long o : offs) ch.write(ByteBuffer.wrap(("data@" + o).getBytes()), o);
            ch.truncate((6L << 30));
        }
        TestSupport.Result tr = TestSupport.run("truncate", "-s", "6G", f.toString());
        assertEquals(0, tr.code());
        Path img = tmp.resolve("img");
        TestSupport.mke2fs(img, "64M", 1024, 128, src);
        try (var h = new Holder(Ext2FileSystem.open(img, Ext2Options.defaults()))) {
            FileSystem fs = h.fs;
            Entry e = fs.lookup(Caller.ROOT, FileSystem.ROOT, Name.of("sparse"));
            assertEquals(6L << 30, e.attr().size());
            Opened o = fs.open(Caller.ROOT, e.ino(), 2);
            for (long off : offs) {
                byte[] want = ("data@" + off).getBytes();
                ByteBuffer b = ByteBuffer.allocate(want.length + 10);
                int n = fs.read(Caller.ROOT, e.ino(), o.fh(), off - 5 < 0 ? off : off - 5, b);
                assertEquals(want.length + 10, n);
                byte[] got = new byte[n];
                b.flip().get(got);
                String s = new String(got);
                assertTrue(s.contains("data@" + off), "at " + off + ": " + s);
            }
            // a hole reads as zeros
            ByteBuffer z = ByteBuffer.allocate(8192);
            fs.read(Caller.ROOT, e.ino(), o.fh(), 3L << 30, z);
            for (byte x : z.array()) assertEquals(0, x);
            assertEquals(1L << 32, fs.lseek(Caller.ROOT, e.ino(), o.fh(), 80_000_000L, FileSystem.SEEK_DATA) & ~1023L);
            assertTrue(fs.lseek(Caller.ROOT, e.ino(), o.fh(), 0, FileSystem.SEEK_HOLE) > 0);
            // write in the triple-indirect area, then truncate below it
            fs.write(Caller.ROOT, e.ino(), o.fh(), (5L << 30) + 999_999, ByteBuffer.wrap("more".getBytes()), 0);
            fs.setattr(Caller.ROOT, e.ino(), io.strata.core.SetAttr.size(70_000_010L));
            fs.release(e.ino(), o.fh(), 0);
            fs.forget(e.ino(), 1);
        }
        TestSupport.Result r = TestSupport.fsck(img);
        assertEquals(0, r.code(), r.out());
    }

    /** Closes the file system (unmount) at the end of a try block. */
    record Holder(Ext2FileSystem fs) implements AutoCloseable {
        @Override
        public void close() throws java.io.IOException {
            fs.unmount();
        }
    }
}
