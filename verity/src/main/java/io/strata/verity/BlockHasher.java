package io.strata.verity;

import java.security.DigestException;
import java.security.MessageDigest;

/**
 * Hashes blocks as fs-verity does: H(padded salt || block). Uses the calling thread's
 * MessageDigest and writes into the caller's array, so hashing allocates nothing. Stateless and
 * shareable across threads.
 *
 * <p>The JDK's SUN SHA-256/512 compress loops are HotSpot intrinsics (SHA-NI / AVX2): a 4 KiB
 * block is one {@code update} (64 compressions in the intrinsic loop) and one {@code digest} (the
 * padding block). The padded salt costs one more compression per block (1/65 at SHA-256/4K), so it
 * is simply hashed again rather than cloning a salted state (a clone allocates per block).
 */
final class BlockHasher {
    private final HashAlgorithm algorithm;
    private final byte[] paddedSalt;

    BlockHasher(VerityParams params) {
        this.algorithm = params.algorithm();
        this.paddedSalt = params.paddedSalt();
    }

    int digestSize() {
        return algorithm.digestSize;
    }

    /** Hashes {@code block[off, off+len)} into {@code out[outOff, outOff+digestSize)}. */
    void hash(byte[] block, int off, int len, byte[] out, int outOff) {
        hash(algorithm.digest(), block, off, len, out, outOff);
    }

    /**
     * Hashes {@code count} consecutive blocks of {@code blockSize} bytes starting at {@code data[off]}
     * into consecutive digests starting at {@code out[outOff]} (the layout of one tree level).
     */
    void hashRun(byte[] data, int off, int count, int blockSize, byte[] out, int outOff) {
        MessageDigest md = algorithm.digest();
        int d = algorithm.digestSize;
        for (int i = 0; i < count; i++) hash(md, data, off + i * blockSize, blockSize, out, outOff + i * d);
    }

    /**
     * {@link #hashRun} of blocks in a (direct) buffer, {@code data[off...]} in absolute positions;
     * the buffer's own position and limit are not touched (a private view is used), so threads
     * may hash disjoint runs of one buffer at once. A direct buffer is fed to the digest through
     * its 4 KiB scratch array: a cache-hot copy, cheaper than copying the whole window first.
     */
    void hashRun(java.nio.ByteBuffer data, int off, int count, int blockSize, byte[] out, int outOff) {
        MessageDigest md = algorithm.digest();
        java.nio.ByteBuffer view = data.duplicate();
        int d = algorithm.digestSize;
        for (int i = 0; i < count; i++) {
            int at = off + i * blockSize;
            view.limit(at + blockSize).position(at);
            if (paddedSalt.length > 0) md.update(paddedSalt);
            md.update(view);
            try {
                md.digest(out, outOff + i * d, d);
            } catch (DigestException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private void hash(MessageDigest md, byte[] block, int off, int len, byte[] out, int outOff) {
        if (paddedSalt.length > 0) md.update(paddedSalt);
        md.update(block, off, len);
        try {
            md.digest(out, outOff, algorithm.digestSize); // resets md for the next block
        } catch (DigestException e) {
            throw new IllegalStateException(e); // out is sized by us: cannot happen
        }
    }
}
