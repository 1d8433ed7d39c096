package io.strata.verity;

import java.security.DigestException;
import java.security.MessageDigest;

/**
 * Hashes one block as fs-verity does: H(padded salt || block). Uses the calling thread's
 * MessageDigest and writes into the caller's array, so hashing allocates nothing. Stateless and
 * shareable across threads.
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
        MessageDigest md = algorithm.digest();
        if (paddedSalt.length > 0) md.update(paddedSalt);
        md.update(block, off, len);
        try {
            md.digest(out, outOff, algorithm.digestSize);
        } catch (DigestException e) {
            throw new IllegalStateException(e); // out is sized by us: cannot happen
        }
    }
}
