package io.strata.ext2;

import static org.junit.jupiter.api.Assertions.*;

import io.strata.core.Caller;
import io.strata.core.Created;
import io.strata.core.Entry;
import io.strata.core.FileSystem;
import io.strata.core.FsException;
import io.strata.core.Name;
import io.strata.core.OpenFlags;
import io.strata.ext2.tools.Mkfs;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Issue 7, "ext2 loses track of inode 11": the very first regular inode (s_first_ino) must be freed
 * like any other when its last name and reference go. For every first-inode layout we can make, the
 * file at s_first_ino is created and deleted three ways (plain unlink; unlinked while open; unlinked
 * while a lookup reference is still held at unmount), the free-inode count must come back each time,
 * and e2fsck -fn must be clean at the end.
 */
class FirstInodeTest {
    Path tmp;

    @BeforeEach
    void setUp() throws Exception {
        TestSupport.assumeE2fsprogs();
        tmp = Files.createTempDirectory(Path.of("/tmp"), "ext2-first");
    }

    @AfterEach
    void tearDown() throws Exception {
        if (tmp != null) TestSupport.deleteTree(tmp);
    }

    private static final Caller ROOT = Caller.ROOT;
    private static final Name LOST_FOUND = Name.of("lost+found"), A = Name.of("a");

    /**
     * Layouts: strata mkfs.ext2 with several groups (lost+found lands outside group 0, so the first
     * file gets inode 11 directly) and with one group (lost+found holds 11 and is removed first);
     * mke2fs rev 1 with small and large inodes; mke2fs rev 0 (first inode fixed at 11); and fresh
     * images whose s_first_ino was raised by patching the superblock (mke2fs cannot set it).
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "strata-mkfs-64M, 11",
            "strata-mkfs-4M, 11",
            "mke2fs-rev1-1k-128, 11",
            "mke2fs-rev1-4k-256, 11",
            "mke2fs-rev0, 11",
            "strata-layout-first-ino-20, 20",
            "mke2fs-first-ino-16, 16"})
    void firstRegularInodeIsFreed(String layout, int expectFirst) throws Exception {
        Path img = tmp.resolve("img");
        make(layout, img);
        int first;
        try (var h = new ReadImagesTest.Holder(Ext2FileSystem.open(img, Ext2Options.defaults()))) {
            first = (int) h.fs().volume().superblock().firstIno();
        }
        assertEquals(expectFirst, first);

        for (String way : new String[] {"unlink", "unlink-while-open", "reference-held-at-unmount"}) {
            Ext2FileSystem fs = Ext2FileSystem.open(img, Ext2Options.defaults());
            boolean recreateLostFound = false;
            try {
                Entry lf = lookupOrNull(fs, LOST_FOUND);
                if (lf != null && lf.ino() == first) { // make room: the first inode is what we test
                    fs.rmdir(ROOT, FileSystem.ROOT, LOST_FOUND);
                    recreateLostFound = true;
                }
                if (lf != null) fs.forget(lf.ino(), 1);
                long freeBefore = fs.statfs(ROOT, FileSystem.ROOT).ffree();
                long blocksBefore = fs.statfs(ROOT, FileSystem.ROOT).bfree();

                Created c = fs.create(ROOT, FileSystem.ROOT, A, 0644, OpenFlags.O_RDWR, 0);
                long ino = c.entry().ino();
                assertEquals(first, ino, layout + ": the first file must get s_first_ino");
                fs.write(ROOT, ino, c.opened().fh(), 0, ByteBuffer.wrap(new byte[40_000]).put(0, (byte) 1), 0);
                switch (way) {
                    case "unlink" -> {
                        fs.release(ino, c.opened().fh(), 0);
                        fs.forget(ino, 1);
                        fs.unlink(ROOT, FileSystem.ROOT, A);
                    }
                    case "unlink-while-open" -> {
                        fs.forget(ino, 1);
                        fs.unlink(ROOT, FileSystem.ROOT, A);
                        assertTrue(fs.statfs(ROOT, FileSystem.ROOT).ffree() < freeBefore, "freed while still open");
                        fs.write(ROOT, ino, c.opened().fh(), 50_000, ByteBuffer.wrap(new byte[] {2}), 0);
                        fs.release(ino, c.opened().fh(), 0);
                    }
                    case "reference-held-at-unmount" -> {
                        fs.release(ino, c.opened().fh(), 0);
                        fs.unlink(ROOT, FileSystem.ROOT, A);
                        assertEquals(1, fs.volume().inodes.lookupsOf(first));
                        assertTrue(fs.statfs(ROOT, FileSystem.ROOT).ffree() < freeBefore, "freed while referenced");
                    }
                    default -> throw new AssertionError(way);
                }
                if (!way.equals("reference-held-at-unmount")) {
                    assertEquals(freeBefore, fs.statfs(ROOT, FileSystem.ROOT).ffree(), layout + "/" + way + ": inode not freed");
                    assertEquals(blocksBefore, fs.statfs(ROOT, FileSystem.ROOT).bfree(), layout + "/" + way + ": blocks not freed");
                }
                if (recreateLostFound) {
                    Entry n = fs.mkdir(ROOT, FileSystem.ROOT, LOST_FOUND, 0700, 0);
                    fs.forget(n.ino(), 1);
                }
            } finally {
                fs.unmount();
            }
            TestSupport.Result ck = TestSupport.fsck(img);
            assertEquals(0, ck.code(), layout + "/" + way + ":\n" + ck.out());
        }
    }

    private static Entry lookupOrNull(FileSystem fs, Name n) {
        try {
            return fs.lookup(ROOT, FileSystem.ROOT, n);
        } catch (FsException e) {
            return null;
        }
    }

    private void make(String layout, Path img) throws Exception {
        switch (layout) {
            case "strata-mkfs-64M" -> mkfs(img, "64M");
            case "strata-mkfs-4M" -> mkfs(img, "4M");
            case "mke2fs-rev1-1k-128" -> TestSupport.mke2fs(img, "16M", 1024, 128, null);
            case "mke2fs-rev1-4k-256" -> TestSupport.mke2fs(img, "64M", 4096, 256, null);
            case "mke2fs-rev0" -> {
                TestSupport.Result r = TestSupport.run("mke2fs", "-q", "-F", "-r", "0", "-b", "1024", img.toString(), "16M");
                assertEquals(0, r.code(), r.out());
                assertTrue(TestSupport.run("dumpe2fs", "-h", img.toString()).out().contains("revision #:    0"));
            }
            case "strata-layout-first-ino-20" -> {
                // a fresh Strata image before lost+found exists: raise s_first_ino, then finish it
                Layout.format(img, 32L << 20, 1024, 256, 4096);
                raiseFirstIno(img, 20);
                Ext2FileSystem fs = Ext2FileSystem.open(img, Ext2Options.defaults());
                try {
                    fs.forget(fs.mkdir(ROOT, FileSystem.ROOT, LOST_FOUND, 0700, 0).ino(), 1);
                } finally {
                    fs.unmount();
                }
            }
            case "mke2fs-first-ino-16" -> {
                // mke2fs puts lost+found at 11: move it out of the way, raise s_first_ino, put it back
                TestSupport.mke2fs(img, "16M", 1024, 128, null);
                Ext2FileSystem fs = Ext2FileSystem.open(img, Ext2Options.defaults());
                try {
                    fs.rmdir(ROOT, FileSystem.ROOT, LOST_FOUND);
                } finally {
                    fs.unmount();
                }
                raiseFirstIno(img, 16);
                fs = Ext2FileSystem.open(img, Ext2Options.defaults());
                try {
                    fs.forget(fs.mkdir(ROOT, FileSystem.ROOT, LOST_FOUND, 0700, 0).ino(), 1);
                } finally {
                    fs.unmount();
                }
            }
            default -> throw new AssertionError(layout);
        }
        TestSupport.Result ck = TestSupport.fsck(img);
        assertEquals(0, ck.code(), "fresh image " + layout + ":\n" + ck.out());
    }

    private static void mkfs(Path img, String size) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = Mkfs.run(new String[] {img.toString(), size}, new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(err, true));
        assertEquals(0, rc, err.toString());
    }

    /**
     * Sets s_first_ino of a rev 1 image to {@code first}: inodes 11..first-1 become reserved, so they
     * are marked in group 0's inode bitmap, taken off the free counts (they must be free) and zeroed
     * (a freed inode keeps its mode, which e2fsck refuses in a reserved one).
     */
    static void raiseFirstIno(Path img, int first) throws IOException {
        try (FileChannel ch = FileChannel.open(img, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer sb = read(ch, 1024, 1024);
            assertEquals(1, sb.getInt(76), "needs a rev 1 image");
            int old = sb.getInt(84);
            int bs = 1024 << sb.getInt(24);
            long gdtPos = (long) (sb.getInt(20) + 1) * bs;
            ByteBuffer gd = read(ch, gdtPos, 32);
            long ibmPos = (gd.getInt(4) & 0xffffffffL) * bs;
            ByteBuffer ibm = read(ch, ibmPos, bs);
            for (int ino = old; ino < first; ino++) {
                int bit = ino - 1;
                int b = ibm.get(bit / 8);
                assertEquals(0, b & (1 << (bit % 8)), "inode " + ino + " is in use");
                ibm.put(bit / 8, (byte) (b | (1 << (bit % 8))));
            }
            int isz = sb.getShort(88) & 0xffff;
            long table = (gd.getInt(8) & 0xffffffffL) * bs;
            write(ch, table + (long) (old - 1) * isz, ByteBuffer.allocate((first - old) * isz));
            int taken = first - old;
            gd.putShort(14, (short) ((gd.getShort(14) & 0xffff) - taken));
            sb.putInt(16, sb.getInt(16) - taken);
            sb.putInt(84, first);
            write(ch, ibmPos, ibm);
            write(ch, gdtPos, gd);
            write(ch, 1024, sb);
        }
    }

    private static ByteBuffer read(FileChannel ch, long pos, int len) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(len).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) if (ch.read(b, pos + b.position()) < 0) throw new IOException("short image");
        return b.clear();
    }

    private static void write(FileChannel ch, long pos, ByteBuffer b) throws IOException {
        b.clear();
        while (b.hasRemaining()) ch.write(b, pos + b.position());
    }
}
