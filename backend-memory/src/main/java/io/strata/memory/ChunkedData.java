package io.strata.memory;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The bytes of one regular file: a sparse, sorted list of chunks of at most {@link #CHUNK} bytes.
 *
 * <p>Why this shape: holes cost nothing (a chunk exists only where something was written or
 * fallocated), SEEK_DATA/SEEK_HOLE and punching are walks over the sorted chunk numbers, and a
 * terabyte-offset write does not allocate a terabyte-sized index. Dense files hit a fast path
 * (chunk number == array position), so sequential I/O never binary-searches. The last chunk of a
 * small file may be shorter than {@link #CHUNK} (a power of two >= 4 KiB, grown on demand) so a
 * thousand 100-byte files do not cost 64 MiB; bytes past a chunk's length read as zeros.
 *
 * <p>Invariant: every byte at or beyond {@link #size} that lies inside a chunk is zero, so growing
 * the size (truncate up, fallocate) never exposes old data.
 *
 * <p>Not thread-safe: the owning file's inode lock guards it (read lock for reads, write lock for
 * changes).
 */
final class ChunkedData {
    static final int SHIFT = 16, CHUNK = 1 << SHIFT, MIN_CHUNK = 4096;
    static final long MASK = CHUNK - 1;
    private static final byte[] ZEROS = new byte[CHUNK];
    private static final long[] NO_INDEX = {};
    private static final byte[][] NO_CHUNKS = {};

    long size;
    private long[] index = NO_INDEX;   // chunk numbers, ascending
    private byte[][] chunks = NO_CHUNKS; // chunks[i] holds chunk number index[i]
    private int count;
    private long allocated;

    long allocatedBytes() {
        return allocated;
    }

    int chunkCount() {
        return count;
    }

    /** Position of chunk {@code ci}, or -(insertion point) - 1. */
    private int find(long ci) {
        if (ci < count && index[(int) ci] == ci) return (int) ci; // dense file
        if (count > 0 && index[count - 1] == ci) return count - 1; // appending
        return Arrays.binarySearch(index, 0, count, ci);
    }

    private byte[] chunk(long ci) {
        int i = find(ci);
        return i >= 0 ? chunks[i] : null;
    }

    private static int capacityFor(int need) {
        if (need <= MIN_CHUNK) return MIN_CHUNK;
        return Math.min(CHUNK, Integer.highestOneBit(need - 1) << 1);
    }

    /** The chunk {@code ci} with at least {@code need} bytes, allocating/growing it; null: no space. */
    private byte[] ensureChunk(long ci, int need, SpaceAccounting space) {
        int i = find(ci);
        if (i >= 0) {
            byte[] c = chunks[i];
            if (c.length >= need) return c;
            int len = capacityFor(need);
            if (!space.tryReserve(len - c.length)) return null;
            allocated += len - c.length;
            return chunks[i] = Arrays.copyOf(c, len);
        }
        int len = capacityFor(need);
        if (!space.tryReserve(len)) return null;
        allocated += len;
        byte[] c = new byte[len];
        insertAt(-i - 1, ci, c);
        return c;
    }

    private void insertAt(int pos, long ci, byte[] c) {
        if (count == index.length) {
            int cap = Math.max(4, count + (count >> 1));
            index = Arrays.copyOf(index, cap);
            chunks = Arrays.copyOf(chunks, cap);
        }
        System.arraycopy(index, pos, index, pos + 1, count - pos);
        System.arraycopy(chunks, pos, chunks, pos + 1, count - pos);
        index[pos] = ci;
        chunks[pos] = c;
        count++;
    }

    /** Drops chunks numbered [from, to); returns nothing, releases their bytes. */
    private void removeChunks(long from, long to, SpaceAccounting space) {
        if (from >= to) return;
        int a = lowerBound(from), b = lowerBound(to);
        if (a >= b) return;
        long freed = 0;
        for (int i = a; i < b; i++) freed += chunks[i].length;
        System.arraycopy(index, b, index, a, count - b);
        System.arraycopy(chunks, b, chunks, a, count - b);
        Arrays.fill(chunks, count - (b - a), count, null);
        count -= b - a;
        allocated -= freed;
        space.release(freed);
        if (count == 0) {
            index = NO_INDEX;
            chunks = NO_CHUNKS;
        }
    }

    /** First position whose chunk number is >= ci. */
    private int lowerBound(long ci) {
        int i = Arrays.binarySearch(index, 0, count, ci);
        return i >= 0 ? i : -i - 1;
    }

    // ---- I/O ----

    /** Copies {@code n} bytes at {@code off} (caller clipped to size) into dst, advancing it. */
    void read(long off, ByteBuffer dst, int n) {
        int done = 0;
        while (done < n) {
            long pos = off + done;
            int co = (int) (pos & MASK);
            int seg = Math.min(n - done, CHUNK - co);
            byte[] c = chunk(pos >>> SHIFT);
            int have = c == null ? 0 : Math.max(0, Math.min(seg, c.length - co));
            if (have > 0) dst.put(c, co, have);
            if (have < seg) dst.put(ZEROS, 0, seg - have);
            done += seg;
        }
    }

    /**
     * Copies {@code n} bytes from src (advancing it) to {@code off}; stops early when the space
     * limit is hit and returns how much was written. Extends size over what was written.
     */
    int write(long off, ByteBuffer src, int n, SpaceAccounting space) {
        int done = 0;
        while (done < n) {
            long pos = off + done;
            int co = (int) (pos & MASK);
            int seg = Math.min(n - done, CHUNK - co);
            byte[] c = ensureChunk(pos >>> SHIFT, co + seg, space);
            if (c == null) break;
            src.get(c, co, seg);
            done += seg;
        }
        if (done > 0) size = Math.max(size, off + done);
        return done;
    }

    /** Sets the size; shrinking frees chunks past the end (also preallocated ones) and zeroes the tail. */
    void truncate(long newSize, SpaceAccounting space) {
        if (newSize < size) {
            long keep = (newSize + MASK) >>> SHIFT; // chunks [0, keep) may hold bytes below newSize
            removeChunks(keep, Long.MAX_VALUE, space);
            int co = (int) (newSize & MASK);
            if (co != 0) {
                byte[] c = chunk(newSize >>> SHIFT);
                if (c != null && co < c.length) Arrays.fill(c, co, c.length, (byte) 0);
            }
        }
        size = newSize;
    }

    /** Zeroes [off, end) freeing every whole chunk inside it (PUNCH_HOLE). */
    void punch(long off, long end, SpaceAccounting space) {
        long firstWhole = (off + MASK) >>> SHIFT, endWhole = end >>> SHIFT;
        if (firstWhole < endWhole) {
            removeChunks(firstWhole, endWhole, space);
            zeroWithin(off, firstWhole << SHIFT);
            zeroWithin(endWhole << SHIFT, end);
        } else {
            zeroWithin(off, end);
        }
    }

    /** Zeroes bytes of existing chunks in [off, end) without allocating or freeing (ZERO_RANGE). */
    void zeroRange(long off, long end) {
        zeroWithin(off, end);
    }

    private void zeroWithin(long off, long end) {
        while (off < end) {
            int co = (int) (off & MASK);
            int seg = (int) Math.min(end - off, CHUNK - co);
            byte[] c = chunk(off >>> SHIFT);
            if (c != null && co < c.length) Arrays.fill(c, co, Math.min(c.length, co + seg), (byte) 0);
            off += seg;
        }
    }

    /**
     * Makes sure every chunk overlapping [off, end) exists at full size, all or nothing (fallocate
     * mode 0 / KEEP_SIZE / ZERO_RANGE). Returns false, changing nothing, if the space is not there.
     */
    boolean allocate(long off, long end, SpaceAccounting space) {
        long first = off >>> SHIFT, last = (end - 1) >>> SHIFT;
        long existing = 0;
        for (int i = lowerBound(first); i < count && index[i] <= last; i++) existing += chunks[i].length;
        long chunksInRange = last - first + 1;
        if (chunksInRange > Integer.MAX_VALUE / 2) return false; // beyond any heap anyway
        long need = chunksInRange * CHUNK - existing;
        if (!space.tryReserve(need)) return false;
        allocated += need;
        for (long ci = first; ci <= last; ci++) {
            int i = find(ci);
            if (i >= 0) {
                if (chunks[i].length < CHUNK) chunks[i] = Arrays.copyOf(chunks[i], CHUNK);
            } else {
                insertAt(-i - 1, ci, new byte[CHUNK]);
            }
        }
        return true;
    }

    // ---- SEEK_DATA / SEEK_HOLE (caller checked off < size) ----

    /** The first data offset >= off below size, or -1 (ENXIO). */
    long seekData(long off) {
        int i = find(off >>> SHIFT);
        if (i >= 0) return off;
        int next = -i - 1;
        if (next >= count) return -1;
        long start = index[next] << SHIFT;
        return start < size ? start : -1;
    }

    /** The first hole offset >= off; the end of file counts as a hole. */
    long seekHole(long off) {
        int i = find(off >>> SHIFT);
        if (i < 0) return off;
        while (i + 1 < count && index[i + 1] == index[i] + 1) i++;
        return Math.min(size, (index[i] + 1) << SHIFT);
    }

    // ---- copy_file_range ----

    /**
     * Copies {@code len} bytes of {@code src} at {@code srcOff} to this file at {@code dstOff}, chunk
     * by chunk: whole aligned chunks are cloned, source holes become holes (or zeros) here. Stops
     * early when space runs out; returns bytes copied. {@code src} may be this object if the ranges
     * do not overlap.
     */
    long copyFrom(ChunkedData src, long srcOff, long dstOff, long len, SpaceAccounting space) {
        long done = 0;
        while (done < len) {
            long sp = srcOff + done, dp = dstOff + done;
            int so = (int) (sp & MASK), dof = (int) (dp & MASK);
            int seg = (int) Math.min(len - done, Math.min(CHUNK - so, CHUNK - dof));
            byte[] sc = src.chunk(sp >>> SHIFT);
            long dci = dp >>> SHIFT;
            if (sc == null || so >= sc.length) {
                if (seg == CHUNK) removeChunks(dci, dci + 1, space);
                else zeroWithin(dp, dp + seg);
            } else if (seg == CHUNK) {
                int i = find(dci);
                int old = i >= 0 ? chunks[i].length : 0;
                if (!space.tryReserve(sc.length - old)) break;
                allocated += sc.length - old;
                if (i >= 0) chunks[i] = sc.clone();
                else insertAt(-i - 1, dci, sc.clone());
            } else {
                int have = Math.min(seg, sc.length - so);
                byte[] dc = ensureChunk(dci, dof + seg, space);
                if (dc == null) break;
                System.arraycopy(sc, so, dc, dof, have);
                if (have < seg) Arrays.fill(dc, dof + have, dof + seg, (byte) 0);
            }
            done += seg;
        }
        if (done > 0) size = Math.max(size, dstOff + done);
        return done;
    }

    /** Releases every chunk (the file is being freed). */
    void freeAll(SpaceAccounting space) {
        space.release(allocated);
        allocated = 0;
        index = NO_INDEX;
        chunks = NO_CHUNKS;
        count = 0;
    }
}
