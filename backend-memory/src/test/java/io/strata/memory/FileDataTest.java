package io.strata.memory;

import static io.strata.core.FileSystem.FALLOC_KEEP_SIZE;
import static io.strata.core.FileSystem.FALLOC_PUNCH_HOLE;
import static io.strata.core.FileSystem.FALLOC_ZERO_RANGE;
import static io.strata.core.FileSystem.SEEK_DATA;
import static io.strata.core.FileSystem.SEEK_HOLE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.core.OpenFlags;
import io.strata.core.Created;
import io.strata.core.FileSystem;
import io.strata.core.SetAttr;
import io.strata.core.Errno;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FileDataTest extends FsTestSupport {
    static final int CHUNK = ChunkedData.CHUNK;

    long file;
    long fh;

    void newFile() throws Exception {
        Created c = fs.create(ROOT_CALLER, ROOT, n("f"), 0644, RW, 0);
        file = c.entry().ino();
        fh = c.opened().fh();
    }

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void writeThenReadBackAcrossChunkBoundaries() throws Exception {
        newFile();
        byte[] data = random(3 * CHUNK + 1234, 1);
        assertEquals(data.length, write(file, fh, 100, data));
        assertEquals(100 + data.length, attr(file).size());
        assertArrayEquals(data, read(file, fh, 100, data.length));
        assertArrayEquals(new byte[100], read(file, fh, 0, 100), "the gap before the first write reads as zeros");
        assertEquals(0, read(file, fh, attr(file).size(), 10).length, "read at EOF returns 0");
        byte[] tail = read(file, fh, 100 + data.length - 10, 100);
        assertArrayEquals(Arrays.copyOfRange(data, data.length - 10, data.length), tail, "short read at EOF");
    }

    @Test
    void writeAdvancesTheSourceBufferAndReadsIntoHeapBuffersToo() throws Exception {
        newFile();
        ByteBuffer src = ByteBuffer.allocateDirect(10).put("0123456789".getBytes()).flip();
        src.position(2);
        assertEquals(8, fs.write(ROOT_CALLER, file, fh, 0, src, 0));
        assertEquals(10, src.position());
        ByteBuffer dst = ByteBuffer.allocate(20);
        dst.position(5);
        assertEquals(8, fs.read(ROOT_CALLER, file, fh, 0, dst));
        assertEquals("23456789", new String(dst.array(), 5, 8));
    }

    @Test
    void smallFilesDoNotAllocateWholeChunks() throws Exception {
        newFile();
        write(file, fh, 0, "hello");
        assertEquals(8, attr(file).blocks(), "4 KiB = 8 sectors, not a 64 KiB chunk");
        write(file, fh, 5000, "x");
        assertEquals(16, attr(file).blocks(), "the chunk grows to 8 KiB");
        assertEquals("hello", readString(file, fh, 0, 5));
        assertEquals("x", readString(file, fh, 5000, 1));
    }

    @Test
    void unlinkedOpenFileKeepsWorking() throws Exception {
        newFile();
        write(file, fh, 0, "before");
        fs.unlink(ROOT_CALLER, ROOT, n("f"));
        assertErrno(Errno.ENOENT, () -> fs.lookup(ROOT_CALLER, ROOT, n("f")));
        assertEquals(0, attr(file).nlink());
        write(file, fh, 6, " and after");
        assertEquals("before and after", readString(file, fh, 0, 100));
        long usedWhileOpen = fs.usedBytes();
        fs.forget(file, 1); // the kernel dropped its reference; the handle still holds the file
        assertEquals("before and after", readString(file, fh, 0, 100));
        fs.release(file, fh, 0);
        assertErrno(Errno.ESTALE, () -> fs.getattr(ROOT_CALLER, file, -1));
        assertTrue(fs.usedBytes() < usedWhileOpen, "data space is released once the file is gone");
    }

    @Test
    void appendHandlesWriteAtEndOfFile() throws Exception {
        newFile();
        write(file, fh, 0, "0123456789");
        long app = open(file, OpenFlags.O_WRONLY | OpenFlags.O_APPEND);
        assertEquals(3, write(file, app, 0, "abc"));
        assertEquals(13, attr(file).size());
        assertEquals(2, write(file, app, 5, "de"), "an offset inside the file is ignored");
        assertEquals("0123456789abcde", readString(file, fh, 0, 100));
        // writeback from the page cache carries the authoritative offset
        fs.write(ROOT_CALLER, file, app, 0, ByteBuffer.wrap("X".getBytes()), FileSystem.WRITE_CACHE);
        assertEquals("X123456789abcde", readString(file, fh, 0, 100));
        fs.release(file, app, 0);
    }

    @Test
    void truncateShrinksAndExtensionReadsZeros() throws Exception {
        newFile();
        byte[] data = random(2 * CHUNK, 2);
        write(file, fh, 0, data);
        fs.setattr(ROOT_CALLER, file, SetAttr.size(1000));
        assertEquals(1000, attr(file).size());
        fs.setattr(ROOT_CALLER, file, SetAttr.size(3 * CHUNK));
        assertEquals(3 * CHUNK, attr(file).size());
        byte[] back = read(file, fh, 0, 3 * CHUNK);
        assertArrayEquals(Arrays.copyOf(data, 1000), Arrays.copyOf(back, 1000));
        assertArrayEquals(new byte[3 * CHUNK - 1000], Arrays.copyOfRange(back, 1000, back.length),
                "old bytes past the truncation point must not come back");
        assertEquals(CHUNK / 512, attr(file).blocks(), "chunk 1 was freed, the extension is a hole");
        fs.setattr(ROOT_CALLER, file, SetAttr.size(0));
        assertEquals(0, attr(file).blocks());
        assertErrno(Errno.EINVAL, () -> fs.setattr(ROOT_CALLER, file, SetAttr.size(-1)));
        assertErrno(Errno.EISDIR, () -> fs.setattr(ROOT_CALLER, ROOT, SetAttr.size(0)));
    }

    @Test
    void openWithTruncEmptiesTheFile() throws Exception {
        newFile();
        write(file, fh, 0, "content");
        long t = tick();
        long h2 = open(file, OpenFlags.O_WRONLY | OpenFlags.O_TRUNC);
        assertEquals(0, attr(file).size());
        assertEquals(t, attr(file).mtimeNs());
        assertEquals(0, read(file, fh, 0, 10).length);
        fs.release(file, h2, 0);
    }

    @Test
    void readsAndWritesNeedTheRightHandle() throws Exception {
        newFile();
        long ro = open(file, RO);
        long wo = open(file, WO);
        assertErrno(Errno.EBADF, () -> write(file, ro, 0, "x"));
        assertErrno(Errno.EBADF, () -> read(file, wo, 0, 1));
        assertErrno(Errno.EBADF, () -> read(file, 999_999, 0, 1));
        assertErrno(Errno.EBADF, () -> read(ROOT, ro, 0, 1)); // handle of another inode
        assertEquals(1, write(file, wo, 0, "x"));
        assertEquals("x", readString(file, ro, 0, 1));
    }

    @Test
    void sparseFileSeekDataAndSeekHole() throws Exception {
        newFile();
        write(file, fh, 0, "a");                  // chunk 0
        write(file, fh, 3L * CHUNK + 10, "b");     // chunk 3
        write(file, fh, 4L * CHUNK, "c");          // chunk 4
        long size = 4L * CHUNK + 1;
        fs.setattr(ROOT_CALLER, file, SetAttr.size(10L * CHUNK)); // hole at the end
        assertEquals(0, fs.lseek(ROOT_CALLER, file, fh, 0, SEEK_DATA));
        assertEquals(CHUNK, fs.lseek(ROOT_CALLER, file, fh, 0, SEEK_HOLE));
        assertEquals(3L * CHUNK, fs.lseek(ROOT_CALLER, file, fh, CHUNK + 5, SEEK_DATA));
        assertEquals(CHUNK + 5, fs.lseek(ROOT_CALLER, file, fh, CHUNK + 5, SEEK_HOLE));
        assertEquals(5L * CHUNK, fs.lseek(ROOT_CALLER, file, fh, 3L * CHUNK, SEEK_HOLE), "chunks 3,4 are one data run");
        assertErrno(Errno.ENXIO, () -> fs.lseek(ROOT_CALLER, file, fh, 5L * CHUNK, SEEK_DATA));
        assertErrno(Errno.ENXIO, () -> fs.lseek(ROOT_CALLER, file, fh, 10L * CHUNK, SEEK_DATA));
        assertErrno(Errno.ENXIO, () -> fs.lseek(ROOT_CALLER, file, fh, 10L * CHUNK, SEEK_HOLE));
        assertErrno(Errno.EINVAL, () -> fs.lseek(ROOT_CALLER, file, fh, 0, FileSystem.SEEK_END));
        assertEquals(3 * (4096 / 512), attr(file).blocks(), "three small chunks allocated");
        byte[] hole = read(file, fh, 1, CHUNK);
        assertArrayEquals(new byte[CHUNK], hole);
        assertEquals("b", readString(file, fh, 3L * CHUNK + 10, 1));
        assertTrue(size < attr(file).size());
        fs.setattr(ROOT_CALLER, file, SetAttr.size(CHUNK / 2));
        assertEquals(CHUNK / 2, fs.lseek(ROOT_CALLER, file, fh, 0, SEEK_HOLE), "EOF is a hole");
    }

    @Test
    void hugeSparseOffsetsCostNothing() throws Exception {
        newFile();
        long far = 1L << 40; // 1 TiB
        write(file, fh, far, "end");
        assertEquals(far + 3, attr(file).size());
        assertEquals(8, attr(file).blocks());
        assertEquals(far, fs.lseek(ROOT_CALLER, file, fh, 0, SEEK_DATA));
        assertEquals("end", readString(file, fh, far, 3));
    }

    @Test
    void fallocateAllocatesAndExtends() throws Exception {
        newFile();
        fs.fallocate(ROOT_CALLER, file, fh, 0, 100, 2 * CHUNK);
        assertEquals(100 + 2 * CHUNK, attr(file).size());
        assertEquals(3L * CHUNK / 512, attr(file).blocks(), "chunks 0..2 allocated in full");
        assertArrayEquals(new byte[2 * CHUNK], read(file, fh, 100, 2 * CHUNK));
        assertEquals(0, fs.lseek(ROOT_CALLER, file, fh, 0, SEEK_DATA));
    }

    @Test
    void fallocateKeepSizeDoesNotChangeTheSize() throws Exception {
        newFile();
        write(file, fh, 0, "abc");
        fs.fallocate(ROOT_CALLER, file, fh, FALLOC_KEEP_SIZE, 0, 4L * CHUNK);
        assertEquals(3, attr(file).size());
        assertEquals(4L * CHUNK / 512, attr(file).blocks());
        assertEquals("abc", readString(file, fh, 0, 10));
        // truncating down drops the preallocation beyond EOF, like tmpfs
        fs.setattr(ROOT_CALLER, file, SetAttr.size(2));
        assertEquals(CHUNK / 512, attr(file).blocks());
    }

    @Test
    void punchHoleFreesWholeChunksAndZeroesPartialOnes() throws Exception {
        newFile();
        byte[] data = random(4 * CHUNK, 3);
        write(file, fh, 0, data);
        long used = fs.usedBytes();
        // punch from the middle of chunk 0 to the middle of chunk 3: frees chunks 1 and 2
        fs.fallocate(ROOT_CALLER, file, fh, FALLOC_PUNCH_HOLE | FALLOC_KEEP_SIZE, CHUNK / 2, 3L * CHUNK);
        assertEquals(4 * CHUNK, attr(file).size(), "size kept");
        assertEquals(2L * CHUNK / 512, attr(file).blocks());
        assertEquals(used - 2L * CHUNK, fs.usedBytes());
        byte[] back = read(file, fh, 0, 4 * CHUNK);
        byte[] expect = data.clone();
        Arrays.fill(expect, CHUNK / 2, CHUNK / 2 + 3 * CHUNK, (byte) 0);
        assertArrayEquals(expect, back);
        assertEquals(CHUNK, fs.lseek(ROOT_CALLER, file, fh, 0, SEEK_HOLE));
        assertEquals(3L * CHUNK, fs.lseek(ROOT_CALLER, file, fh, CHUNK, SEEK_DATA));
        assertErrno(Errno.EOPNOTSUPP, () -> fs.fallocate(ROOT_CALLER, file, fh, FALLOC_PUNCH_HOLE, 0, 10));
    }

    @Test
    void zeroRangeZeroesKeepsAllocationAndMayExtend() throws Exception {
        newFile();
        byte[] data = random(2 * CHUNK, 4);
        write(file, fh, 0, data);
        fs.fallocate(ROOT_CALLER, file, fh, FALLOC_ZERO_RANGE, 10, CHUNK);
        byte[] expect = data.clone();
        Arrays.fill(expect, 10, 10 + CHUNK, (byte) 0);
        assertArrayEquals(expect, read(file, fh, 0, 2 * CHUNK));
        assertEquals(2L * CHUNK / 512, attr(file).blocks(), "zeroed, still allocated");
        fs.fallocate(ROOT_CALLER, file, fh, FALLOC_ZERO_RANGE, 2L * CHUNK - 5, 100);
        assertEquals(2L * CHUNK + 95, attr(file).size());
        fs.fallocate(ROOT_CALLER, file, fh, FALLOC_ZERO_RANGE | FALLOC_KEEP_SIZE, 0, 10L * CHUNK);
        assertEquals(2L * CHUNK + 95, attr(file).size());
        assertArrayEquals(new byte[2 * CHUNK + 95], read(file, fh, 0, 3 * CHUNK));
    }

    @Test
    void fallocateRejectsUnknownModesAndBadArguments() throws Exception {
        newFile();
        assertErrno(Errno.EOPNOTSUPP, () -> fs.fallocate(ROOT_CALLER, file, fh, 0x08, 0, 10)); // COLLAPSE_RANGE
        assertErrno(Errno.EOPNOTSUPP, () -> fs.fallocate(ROOT_CALLER, file, fh, 0x20, 0, 10)); // INSERT_RANGE
        assertErrno(Errno.EOPNOTSUPP,
                () -> fs.fallocate(ROOT_CALLER, file, fh, FALLOC_PUNCH_HOLE | FALLOC_ZERO_RANGE | FALLOC_KEEP_SIZE, 0, 1));
        assertErrno(Errno.EINVAL, () -> fs.fallocate(ROOT_CALLER, file, fh, 0, 0, 0));
        assertErrno(Errno.EINVAL, () -> fs.fallocate(ROOT_CALLER, file, fh, 0, -1, 10));
        long ro = open(file, RO);
        assertErrno(Errno.EBADF, () -> fs.fallocate(ROOT_CALLER, file, ro, 0, 0, 10));
    }

    @Test
    void copyFileRangeCopiesDataAndHoles() throws Exception {
        newFile();
        byte[] data = random(3 * CHUNK, 5);
        write(file, fh, 0, data);
        fs.fallocate(ROOT_CALLER, file, fh, FALLOC_PUNCH_HOLE | FALLOC_KEEP_SIZE, CHUNK, CHUNK); // hole in chunk 1
        byte[] expect = data.clone();
        Arrays.fill(expect, CHUNK, 2 * CHUNK, (byte) 0);

        Created out = fs.create(ROOT_CALLER, ROOT, n("out"), 0644, RW, 0);
        long o = out.entry().ino(), ofh = out.opened().fh();
        write(o, ofh, 0, random(3 * CHUNK, 6)); // old content must be fully replaced, holes included
        assertEquals(3L * CHUNK, fs.copyFileRange(ROOT_CALLER, file, fh, 0, o, ofh, 0, 10L * CHUNK, 0));
        assertArrayEquals(expect, read(o, ofh, 0, 3 * CHUNK));
        assertEquals(2L * CHUNK / 512, attr(o).blocks(), "the source hole became a hole");

        // unaligned copy into the same file, non-overlapping
        assertEquals(1000, fs.copyFileRange(ROOT_CALLER, o, ofh, 10, o, ofh, 3L * CHUNK + 7, 1000, 0));
        assertArrayEquals(Arrays.copyOfRange(expect, 10, 1010), read(o, ofh, 3L * CHUNK + 7, 1000));
        assertEquals(3L * CHUNK + 1007, attr(o).size());
        assertErrno(Errno.EINVAL, () -> fs.copyFileRange(ROOT_CALLER, o, ofh, 0, o, ofh, 100, 1000, 0));
        assertEquals(0, fs.copyFileRange(ROOT_CALLER, file, fh, 10L * CHUNK, o, ofh, 0, 10, 0), "past EOF");
    }

    @Test
    void sequentialThroughputIsHigh() throws Exception {
        newFile();
        ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
        while (buf.hasRemaining()) buf.put((byte) buf.position());
        long total = 256L << 20;
        for (int warm = 0; warm < 2; warm++) {
            long t0 = System.nanoTime();
            for (long off = 0; off < total; off += buf.capacity()) fs.write(ROOT_CALLER, file, fh, off, buf.clear(), 0);
            long t1 = System.nanoTime();
            for (long off = 0; off < total; off += buf.capacity()) fs.read(ROOT_CALLER, file, fh, off, buf.clear());
            long t2 = System.nanoTime();
            double wGbs = total / ((t1 - t0) / 1e9) / 1e9, rGbs = total / ((t2 - t1) / 1e9) / 1e9;
            System.out.printf("sequential 1 MiB: write %.2f GB/s, read %.2f GB/s%n", wGbs, rGbs);
            if (warm == 1) {
                // generous floors: the real numbers are several GB/s; this guards against a pathological path
                assertTrue(wGbs > 0.3, "write " + wGbs + " GB/s");
                assertTrue(rGbs > 0.5, "read " + rGbs + " GB/s");
            }
        }
        assertEquals(total, attr(file).size());
        fs.setattr(ROOT_CALLER, file, SetAttr.size(0));
    }
}
