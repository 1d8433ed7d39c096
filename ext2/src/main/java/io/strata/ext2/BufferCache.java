package io.strata.ext2;

import io.strata.core.FsException;
import io.strata.core.Errno;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The metadata block cache: inode-table, bitmap, directory, indirect and xattr blocks. File data does
 * not go through here (it is read and written in whole contiguous runs straight to the image, see
 * {@link FileIo}), which keeps this cache small and lets big I/O stream.
 *
 * <p>Buffers are pinned while used ({@code try (Buffer b = cache.get(n))}); eviction (LRU, bounded by
 * {@code maxBytes}) skips pinned buffers, writing dirty ones back first. Content changes go through
 * the buffer's synchronized accessors so the flusher always copies a buffer in a consistent state.
 *
 * <p>Coherence with the data path: a block that is freed is {@link #forget forgotten}, so a stale
 * dirty copy of an old indirect/directory block is never written over the data of its next owner.
 *
 * <p>Lock order: the cache monitor is a leaf lock (taken last, held briefly); a buffer's monitor
 * is taken with or without it but the cache monitor is never requested while holding a buffer's.
 */
final class BufferCache {
    private static final System.Logger LOG = System.getLogger(BufferCache.class.getName());

    final ImageChannel ch;
    final int bs;
    private final long maxBuffers;
    private final long blocksCount;
    private final LinkedHashMap<Long, Buffer> map = new LinkedHashMap<>(1024, 0.75f, true);
    long reads, writes, hits;

    BufferCache(ImageChannel ch, int bs, long maxBytes, long blocksCount) {
        this.ch = ch;
        this.bs = bs;
        this.maxBuffers = Math.max(64, maxBytes / bs);
        this.blocksCount = blocksCount;
    }

    /** A cached block, read from the image if absent; pinned until closed. */
    Buffer get(long blk) throws FsException {
        check(blk);
        synchronized (this) {
            Buffer b = map.get(blk);
            if (b != null) {
                hits++;
                b.pins++;
                return b;
            }
        }
        byte[] data = new byte[bs];
        readFully(ch, ByteBuffer.wrap(data), blk * bs);
        synchronized (this) {
            reads++;
            Buffer b = map.get(blk); // another thread may have loaded it meanwhile: theirs wins
            if (b == null) {
                b = new Buffer(blk, data);
                map.put(blk, b);
                evict();
            }
            b.pins++;
            return b;
        }
    }

    /** A block that was just allocated: zero contents, dirty, never read from disk. */
    Buffer getZeroed(long blk) throws FsException {
        check(blk);
        synchronized (this) {
            Buffer b = map.get(blk);
            if (b == null) {
                b = new Buffer(blk, new byte[bs]);
                map.put(blk, b);
                evict();
            } else {
                synchronized (b) {
                    java.util.Arrays.fill(b.data, (byte) 0);
                }
                b.dirChecked = false;
            }
            b.pins++;
            b.dirty = true;
            return b;
        }
    }

    /** The block was freed: drop any cached copy so it is never written back. */
    synchronized void forget(long blk) {
        Buffer b = map.get(blk);
        if (b != null && b.pins == 0) map.remove(blk);
        else if (b != null) b.dirty = false;
    }

    private void check(long blk) throws FsException {
        if (blk <= 0 || blk >= blocksCount) {
            throw Corrupt.eio("block number " + blk + " outside the file system");
        }
    }

    private void evict() {
        if (map.size() <= maxBuffers) return;
        Iterator<Map.Entry<Long, Buffer>> it = map.entrySet().iterator();
        while (map.size() > maxBuffers && it.hasNext()) {
            Buffer b = it.next().getValue();
            if (b.pins > 0) continue;
            if (b.dirty) {
                try {
                    writeBack(b);
                } catch (IOException e) {
                    LOG.log(System.Logger.Level.ERROR, "ext2: writeback of block " + b.blk + " failed", e);
                    continue;
                }
            }
            it.remove();
        }
    }

    private void writeBack(Buffer b) throws IOException {
        byte[] copy;
        synchronized (b) {
            copy = b.data.clone();
            b.dirty = false;
        }
        writeFully(ch, ByteBuffer.wrap(copy), b.blk * bs);
        writes++;
    }

    /** Snapshot of all dirty buffers' contents (marks them clean). */
    synchronized List<Map.Entry<Long, byte[]>> takeDirty() {
        List<Map.Entry<Long, byte[]>> out = new ArrayList<>();
        for (Buffer b : map.values()) {
            if (!b.dirty) continue;
            synchronized (b) {
                out.add(Map.entry(b.blk, b.data.clone()));
                b.dirty = false;
            }
        }
        out.sort(Map.Entry.comparingByKey()); // ascending: sequential writes
        return out;
    }

    void writeAll(List<Map.Entry<Long, byte[]>> dirty) throws IOException {
        for (Map.Entry<Long, byte[]> e : dirty) {
            writeFully(ch, ByteBuffer.wrap(e.getValue()), e.getKey() * bs);
            writes++;
        }
    }

    synchronized int size() {
        return map.size();
    }

    synchronized void release(Buffer b) {
        b.pins--;
    }

    static void readFully(ImageChannel ch, ByteBuffer dst, long pos) throws FsException {
        try {
            if (!ch.readFully(dst, pos)) { // past the image end: reads as zeros (sparse image file)
                while (dst.hasRemaining()) dst.put((byte) 0);
            }
        } catch (IOException e) {
            throw new FsException(Errno.EIO, "read at " + pos + ": " + e.getMessage());
        }
    }

    static void writeFully(ImageChannel ch, ByteBuffer src, long pos) throws IOException {
        ch.writeFully(src, pos);
    }

    /** One cached block. Accessors are synchronized; every mutator marks the buffer dirty. */
    final class Buffer implements AutoCloseable {
        final long blk;
        private final byte[] data;
        private final ByteBuffer le;
        int pins; // guarded by the cache monitor
        volatile boolean dirty;
        /** Validated as a directory block ({@link DirBlock#validate}); cleared when the block is re-zeroed. */
        volatile boolean dirChecked;

        Buffer(long blk, byte[] data) {
            this.blk = blk;
            this.data = data;
            this.le = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        }

        synchronized int getInt(int off) { return le.getInt(off); }
        synchronized long u32(int off) { return le.getInt(off) & 0xffffffffL; }
        synchronized int u16(int off) { return le.getShort(off) & 0xffff; }
        synchronized int u8(int off) { return data[off] & 0xff; }
        synchronized void putInt(int off, int v) { le.putInt(off, v); dirty = true; }
        synchronized void putShort(int off, int v) { le.putShort(off, (short) v); dirty = true; }
        synchronized void putByte(int off, int v) { data[off] = (byte) v; dirty = true; }

        synchronized void read(int off, byte[] dst, int dOff, int len) {
            System.arraycopy(data, off, dst, dOff, len);
        }

        synchronized void write(int off, byte[] src, int sOff, int len) {
            System.arraycopy(src, sOff, data, off, len);
            dirty = true;
        }

        synchronized byte[] copy() {
            return data.clone();
        }

        /** Direct access for code that holds the buffer's monitor (bitmaps under the allocator). */
        byte[] array() {
            return data;
        }

        synchronized void markDirty() {
            dirty = true;
        }

        @Override
        public void close() {
            release(this);
        }
    }
}
