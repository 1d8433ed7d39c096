package io.strata.verity;

import io.strata.core.Errno;
import io.strata.core.FsException;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One verity file's verified Merkle tree (held in memory, checked against the root hash when it
 * was loaded) and the bitmap of data blocks already verified. {@link #read} returns only bytes of
 * blocks whose hash matched.
 *
 * <p>Thread-safe without locks: the tree is immutable and the bitmap is an AtomicLongArray (two
 * threads may verify the same block at once; both get the same answer). A warm read (every block
 * in the bitmap) goes straight to the lower file without hashing: it trusts the lower not to
 * change bytes of a verified block while this object lives unless it says so through
 * {@link io.strata.core.Invalidations} ({@link #forget}; see NOTES.md).
 */
final class VerifiedFile {
    /** Blocks beyond this index are never remembered (bounds the bitmap to 32 MiB whatever the size). */
    static final long MAX_TRACKED_BLOCKS = 1L << 28;
    private static final Logger LOG = Logger.getLogger("io.strata.verity");
    /**
     * A cold read is verified in windows of this many bytes (a multiple of every block size): the
     * kernel's largest READ (1 MiB) is one lower read and one hash run. Larger reads loop.
     */
    static final int WINDOW = 1 << 20;
    /**
     * The window read from the lower: direct, so a native lower (passthrough) preads straight into
     * it; a heap buffer would cost it a temporary native buffer and a copy per read.
     */
    private static final ThreadLocal<ByteBuffer> BUFFER = ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(WINDOW));
    /** Hashes of one window's blocks (at most WINDOW / 1 KiB of them, 64 bytes each). */
    private static final ThreadLocal<byte[]> HASHES =
            ThreadLocal.withInitial(() -> new byte[WINDOW / VerityParams.MIN_BLOCK_SIZE * 64]);
    private static final ThreadLocal<boolean[]> HASHED =
            ThreadLocal.withInitial(() -> new boolean[WINDOW / VerityParams.MIN_BLOCK_SIZE]);

    /** Positioned reads of the lower file (the caller's handle). */
    @FunctionalInterface
    interface Lower {
        int read(long offset, ByteBuffer dst) throws FsException;
    }

    private final long ino;
    private final MerkleTree tree;
    private final VerityDescriptor descriptor;
    private final BlockHasher hasher;
    private final int blockSize;
    private final int digestSize;
    private final AtomicLongArray verified;

    VerifiedFile(long ino, MerkleTree tree) {
        this.ino = ino;
        this.tree = tree;
        this.descriptor = tree.descriptor();
        this.hasher = new BlockHasher(tree.params());
        this.blockSize = tree.params().blockSize();
        this.digestSize = tree.params().algorithm().digestSize;
        long blocks = Math.min(tree.layout().dataBlocks, MAX_TRACKED_BLOCKS);
        this.verified = new AtomicLongArray((int) ((blocks + 63) / 64));
    }

    VerityDescriptor descriptor() {
        return descriptor;
    }

    /** Bytes held in memory for this file (for the cache's budget). */
    long footprint() {
        return tree.treeLength() + verified.length() * 8L + 256;
    }

    boolean isVerified(long block) {
        if (block >= MAX_TRACKED_BLOCKS) return false;
        return (verified.get((int) (block >>> 6)) & (1L << block)) != 0;
    }

    /**
     * Forgets the blocks of [off, off+len) (len 0: to the end): the layer below reported that they
     * changed, so the next read hashes them again. Lock-free (called from invalidation callbacks).
     */
    void forget(long off, long len) {
        if (off < 0) return; // attributes only
        long size = tree.dataSize();
        long end = len <= 0 || off + len > size || off + len < 0 ? size : off + len;
        if (off >= end) return;
        long last = Math.min((end - 1) / blockSize, MAX_TRACKED_BLOCKS - 1);
        for (long b = off / blockSize; b <= last; b++) {
            int w = (int) (b >>> 6);
            long bit = 1L << b, v;
            while (((v = verified.get(w)) & bit) != 0 && !verified.compareAndSet(w, v, v & ~bit)) {
                Thread.onSpinWait();
            }
        }
    }

    private void markVerified(long block) {
        if (block >= MAX_TRACKED_BLOCKS) return;
        int w = (int) (block >>> 6);
        long bit = 1L << block;
        long v;
        while (((v = verified.get(w)) & bit) == 0 && !verified.compareAndSet(w, v, v | bit)) {
            Thread.onSpinWait();
        }
    }

    /**
     * Reads up to {@code dst.remaining()} bytes at {@code offset}, verifying every block it touches
     * that is not verified yet. A block that does not match its hash: EIO (and a log line) if it is
     * the first block of the read, else the read stops short before it, as the kernel does.
     */
    int read(Lower lower, long offset, ByteBuffer dst) throws FsException {
        long size = tree.dataSize();
        if (offset >= size || !dst.hasRemaining()) return 0;
        long end = Math.min(size, offset + dst.remaining());
        long first = offset / blockSize, last = (end - 1) / blockSize;
        boolean warm = true;
        for (long b = first; b <= last && warm; b++) warm = isVerified(b);
        if (warm) {
            int want = (int) (end - offset);
            ByteBuffer part = dst.slice(dst.position(), want);
            readFully(lower, offset, part, want);
            dst.position(dst.position() + want);
            return want;
        }
        int copied = 0;
        for (long ws = first * blockSize; ws < end; ws += WINDOW) {
            int n = verifyWindow(lower, ws, offset, end, dst);
            if (n < 0) { // a bad block: the bytes before it are in dst, ~n of them from this window
                copied += ~n;
                if (copied > 0) return copied;
                throw new FsException(Errno.EIO, "verity: block " + first + " of inode " + ino + " is corrupt");
            }
            copied += n;
        }
        return copied;
    }

    /**
     * One window of a cold read: [ws, ws+WINDOW) read from the lower in one call, its unverified
     * blocks hashed in one run (on every core for a large window), checked in order, and the part
     * of [offset, end) it covers put in {@code dst}. Returns the bytes put; when a block does not
     * match (logged), {@code ~put} after putting only the bytes before it.
     *
     * <p>When the window starts at dst's position (an aligned read, as the kernel's are) and dst is
     * direct with room for the padded window, the lower reads straight into dst and the blocks are
     * hashed there: no copy. Bytes of a bad block may then sit in dst beyond the count returned;
     * only the count is ever sent.
     */
    private int verifyWindow(Lower lower, long ws, long offset, long end, ByteBuffer dst) throws FsException {
        long size = tree.dataSize();
        long we = Math.min(ws + WINDOW, (end + blockSize - 1) / blockSize * blockSize);
        int span = (int) (we - ws), dataLen = (int) (Math.min(we, size) - ws), blocks = span / blockSize;
        boolean inPlace = ws >= offset && dst.isDirect() && dst.remaining() >= span;
        // dst may be confined to this thread (a FUSE worker's arena): the pool hashes from `shared`.
        ByteBuffer shared = BUFFER.get().clear(), buf = inPlace ? dst.slice(dst.position(), span) : shared;
        byte[] hashes = HASHES.get();
        boolean[] hashed = HASHED.get();
        readFully(lower, ws, buf.limit(dataLen), dataLen);
        buf.clear();
        for (int i = dataLen; i < span; i++) buf.put(i, (byte) 0); // zero-pad the last block
        long b0 = ws / blockSize;
        // Hash each run of unverified blocks in one go and remember which were hashed: the bitmap
        // may change under us (forget() from an invalidation), and a block must never be compared
        // against a hash that was not computed.
        for (int i = 0; i < blocks; ) {
            if (isVerified(b0 + i)) {
                hashed[i++] = false;
                continue;
            }
            int j = i;
            while (j < blocks && !isVerified(b0 + j)) hashed[j++] = true;
            int run = i, mine = HashWorkers.callerBlocks(j - i, blockSize);
            if (inPlace && mine < j - i) // the pool's part of the run, copied where it may read it
                shared.put((i + mine) * blockSize, buf, (i + mine) * blockSize, (j - i - mine) * blockSize);
            HashWorkers.hash(j - i, blockSize, (from, n) -> hasher.hashRun(from == 0 ? buf : shared,
                    (run + from) * blockSize, n, blockSize, hashes, (run + from) * digestSize));
            i = j;
        }
        long good = we; // bytes of the window before the first bad block
        for (int i = 0; i < blocks; i++) {
            if (!hashed[i]) continue;
            long b = b0 + i;
            if (!tree.matchesDataBlock(b, hashes, i * digestSize)) {
                long start = b * blockSize;
                LOG.log(Level.SEVERE, "verity: inode {0}: data block {1} (bytes {2}..{3}) does not match its Merkle tree",
                        new Object[] {String.valueOf(ino), String.valueOf(b), String.valueOf(start),
                                String.valueOf(Math.min(size, start + blockSize) - 1)});
                good = start;
                break;
            }
            markVerified(b);
        }
        long from = Math.max(offset, ws), to = Math.min(end, good);
        int put = (int) Math.max(0, to - from);
        if (inPlace) dst.position(dst.position() + put);
        else if (put > 0) dst.put(buf.slice((int) (from - ws), put));
        return good < we ? ~put : put;
    }

    private void readFully(Lower lower, long offset, ByteBuffer buf, int want) throws FsException {
        int got = 0;
        while (got < want) {
            int n = lower.read(offset + got, buf);
            if (n <= 0) {
                LOG.log(Level.SEVERE, "verity: inode {0}: file ends at {1}, before its verity size {2}",
                        new Object[] {String.valueOf(ino), String.valueOf(offset + got), String.valueOf(tree.dataSize())});
                throw new FsException(Errno.EIO, "verity file shorter than its Merkle tree");
            }
            got += n;
        }
    }
}
