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
    private static final ThreadLocal<byte[]> BLOCK = ThreadLocal.withInitial(() -> new byte[VerityParams.MAX_BLOCK_SIZE]);
    private static final ThreadLocal<byte[]> HASH = ThreadLocal.withInitial(() -> new byte[64]);

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
    private final AtomicLongArray verified;

    VerifiedFile(long ino, MerkleTree tree) {
        this.ino = ino;
        this.tree = tree;
        this.descriptor = tree.descriptor();
        this.hasher = new BlockHasher(tree.params());
        this.blockSize = tree.params().blockSize();
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
        byte[] block = BLOCK.get(), hash = HASH.get();
        ByteBuffer blockBuf = ByteBuffer.wrap(block);
        int copied = 0;
        for (long b = first; b <= last; b++) {
            long start = b * blockSize;
            int len = (int) Math.min(blockSize, size - start);
            readFully(lower, start, blockBuf.clear().limit(len), len);
            if (!isVerified(b)) {
                java.util.Arrays.fill(block, len, blockSize, (byte) 0);
                hasher.hash(block, 0, blockSize, hash, 0);
                if (!tree.matchesDataBlock(b, hash, 0)) {
                    LOG.log(Level.SEVERE, "verity: inode {0}: data block {1} (bytes {2}..{3}) does not match its Merkle tree",
                            new Object[] {String.valueOf(ino), String.valueOf(b), String.valueOf(start), String.valueOf(start + len - 1)});
                    if (copied > 0) return copied;
                    throw new FsException(Errno.EIO, "verity: block " + b + " of inode " + ino + " is corrupt");
                }
                markVerified(b);
            }
            int from = (int) (Math.max(offset, start) - start), to = (int) (Math.min(end, start + len) - start);
            dst.put(block, from, to - from);
            copied += to - from;
        }
        return copied;
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
