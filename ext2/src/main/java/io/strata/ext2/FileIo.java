package io.strata.ext2;

import io.strata.core.FsException;
import io.strata.core.Errno;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.locks.ReadWriteLock;

/**
 * File data I/O. Data bypasses the buffer cache: each mapped run (up to an indirect-block boundary)
 * is one positional read or write on the image, so large sequential I/O streams at device speed and
 * the OS page cache does the caching. Holes read as zeros.
 *
 * <p>Ordering: the data of a write reaches the image before the metadata pointing at it (indirect
 * blocks, inode) can: metadata is only written by the flusher, which takes {@code barrier}'s write
 * lock to snapshot dirty buffers while writers hold the read lock across "allocate + write data".
 *
 * <p>Invariant kept for sparse-file correctness: bytes of allocated blocks past i_size are zero
 * (new blocks are zero-filled where not written; truncate zeroes the tail of the last block).
 */
final class FileIo {
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(65536);

    private final ImageChannel ch;
    private final BlockMap map;
    private final int bs;
    private final ReadWriteLock barrier;

    FileIo(ImageChannel ch, BlockMap map, int bs, ReadWriteLock barrier) {
        this.ch = ch;
        this.map = map;
        this.bs = bs;
        this.barrier = barrier;
    }

    /** Reads up to dst.remaining() bytes at {@code off}, bounded by the file size. Caller holds the read lock. */
    int read(Ext2Inode in, long off, ByteBuffer dst) throws FsException {
        if (off >= in.size || !dst.hasRemaining()) return 0;
        long end = Math.min(in.size, off + dst.remaining());
        int total = 0;
        long pos = off;
        while (pos < end) {
            long lblk = pos / bs;
            int within = (int) (pos % bs);
            long want = end - pos;
            int maxBlocks = (int) Math.min(1 << 20, (within + want + bs - 1) / bs);
            BlockMap.Mapping m = map.map(in, lblk, maxBlocks, false, false);
            int len = (int) Math.min(want, (long) m.count() * bs - within);
            int lim = dst.limit();
            dst.limit(dst.position() + len);
            if (m.hole()) {
                while (dst.hasRemaining()) {
                    ByteBuffer z = ZEROS.duplicate();
                    z.limit(Math.min(z.capacity(), dst.remaining()));
                    dst.put(z);
                }
            } else {
                BufferCache.readFully(ch, dst, m.pblk() * bs + within);
            }
            dst.limit(lim);
            pos += len;
            total += len;
        }
        return total;
    }

    /**
     * Writes src at {@code off}, allocating blocks as needed; updates i_size. Caller holds the
     * write lock and stores the inode afterwards. Returns bytes written; a partial count if space ran
     * out after some bytes were written (ENOSPC if none).
     */
    int write(Ext2Inode in, long off, ByteBuffer src, boolean useReserved) throws FsException {
        long maxBytes = map.maxBlocks * bs;
        if (off + src.remaining() > maxBytes || off < 0) {
            if (off >= maxBytes) throw new FsException(Errno.EFBIG);
            src.limit(src.position() + (int) (maxBytes - off));
        }
        int total = 0;
        long pos = off;
        barrier.readLock().lock();
        try {
            while (src.hasRemaining()) {
                long lblk = pos / bs;
                int within = (int) (pos % bs);
                int maxBlocks = (int) Math.min(1 << 20, ((long) within + src.remaining() + bs - 1) / bs);
                BlockMap.Mapping m;
                try {
                    m = map.map(in, lblk, maxBlocks, true, useReserved);
                } catch (FsException e) {
                    if (e.errno() == Errno.ENOSPC && total > 0) break;
                    throw e;
                }
                int len = (int) Math.min(src.remaining(), (long) m.count() * bs - within);
                long base = m.pblk() * bs;
                if (m.fresh() && within > 0) zero(base, within);
                int lim = src.limit();
                src.limit(src.position() + len);
                try {
                    BufferCache.writeFully(ch, src, base + within);
                } catch (IOException e) {
                    throw new FsException(Errno.EIO, "data write: " + e.getMessage());
                } finally {
                    src.limit(lim);
                }
                int tail = (int) (((long) m.count() * bs) - within - len);
                if (m.fresh() && tail > 0) zero(base + within + len, tail);
                pos += len;
                total += len;
                if (pos > in.size) in.size = pos;
            }
        } finally {
            barrier.readLock().unlock();
        }
        return total;
    }

    void zero(long at, long len) throws FsException {
        try {
            while (len > 0) {
                ByteBuffer z = ZEROS.duplicate();
                z.limit((int) Math.min(z.capacity(), len));
                int n = z.remaining();
                BufferCache.writeFully(ch, z, at);
                at += n;
                len -= n;
            }
        } catch (IOException e) {
            throw new FsException(Errno.EIO, "zero fill: " + e.getMessage());
        }
    }

    /** Changes the size: frees blocks past the new end and zeroes the tail of the last block. */
    void truncate(Ext2Inode in, long newSize) throws FsException {
        if (newSize > map.maxBlocks * bs) throw new FsException(Errno.EFBIG);
        if (newSize < in.size) {
            long firstFree = (newSize + bs - 1) / bs;
            map.truncate(in, firstFree);
            int within = (int) (newSize % bs);
            if (within != 0) {
                BlockMap.Mapping m = map.map(in, newSize / bs, 1, false, false);
                if (!m.hole()) zero(m.pblk() * bs + within, bs - within);
            }
            in.lastLogical = -1;
        }
        in.size = newSize;
    }

    /** SEEK_DATA / SEEK_HOLE over the block map; -1 for ENXIO. */
    long seek(Ext2Inode in, long off, boolean data) throws FsException {
        if (off >= in.size) return -1;
        long pos = off;
        while (pos < in.size) {
            long lblk = pos / bs;
            BlockMap.Mapping m = map.map(in, lblk, 1 << 20, false, false);
            if (m.hole() != data) return Math.max(pos, off);
            pos = (lblk + m.count()) * bs;
        }
        return data ? -1 : in.size;
    }
}
