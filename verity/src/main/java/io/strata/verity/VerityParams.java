package io.strata.verity;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * The parameters of an fs-verity tree: hash algorithm, Merkle tree block size (a power of two
 * from 1 KiB to 64 KiB, the range the kernel accepts, and at least two digests per block) and an
 * optional salt of at most 32 bytes. Validated on construction ({@link IllegalArgumentException}
 * with a message naming the bad value); the salt is copied in and out.
 */
public record VerityParams(HashAlgorithm algorithm, int blockSize, byte[] salt) {
    public static final int MIN_BLOCK_SIZE = 1024, MAX_BLOCK_SIZE = 65536, DEFAULT_BLOCK_SIZE = 4096;
    public static final int MAX_SALT = 32;

    public VerityParams {
        if (algorithm == null) throw new IllegalArgumentException("hash algorithm missing");
        if (blockSize < MIN_BLOCK_SIZE || blockSize > MAX_BLOCK_SIZE || Integer.bitCount(blockSize) != 1)
            throw new IllegalArgumentException("invalid block size " + blockSize
                    + ": must be a power of two from " + MIN_BLOCK_SIZE + " to " + MAX_BLOCK_SIZE);
        salt = salt == null ? new byte[0] : salt.clone();
        if (salt.length > MAX_SALT)
            throw new IllegalArgumentException("salt of " + salt.length + " bytes: at most " + MAX_SALT);
    }

    /** fs-verity's defaults: SHA-256, 4 KiB blocks, no salt. */
    public static VerityParams defaults() {
        return new VerityParams(HashAlgorithm.SHA256, DEFAULT_BLOCK_SIZE, null);
    }

    @Override
    public byte[] salt() {
        return salt.clone();
    }

    public int saltSize() {
        return salt.length;
    }

    /** log2 of the block size, as the descriptor stores it. */
    public int logBlockSize() {
        return Integer.numberOfTrailingZeros(blockSize);
    }

    /** Digests per tree block. */
    public int hashesPerBlock() {
        return blockSize / algorithm.digestSize;
    }

    /** The salt zero-padded to the hash's block size (empty without a salt), hashed before every block. */
    byte[] paddedSalt() {
        if (salt.length == 0) return salt;
        return Arrays.copyOf(salt, algorithm.hashBlockSize);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VerityParams p && p.algorithm == algorithm && p.blockSize == blockSize
                && Arrays.equals(p.salt, salt);
    }

    @Override
    public int hashCode() {
        return (algorithm.hashCode() * 31 + blockSize) * 31 + Arrays.hashCode(salt);
    }

    @Override
    public String toString() {
        return algorithm.label + "/" + blockSize + (salt.length > 0 ? "/salt=" + HexFormat.of().formatHex(salt) : "");
    }
}
