package io.strata.verity;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The hash algorithms fs-verity defines, with their numbers in the descriptor and the
 * {@code fsverity_enable_arg} ({@code FS_VERITY_HASH_ALG_*}) and the hash's internal block size,
 * to which the salt is zero-padded.
 *
 * <p>{@link #digest()} hands out one {@link MessageDigest} per thread and algorithm: creating one
 * per block would dominate the cost of hashing 4 KiB.
 */
public enum HashAlgorithm {
    SHA256(1, "sha256", "SHA-256", 32, 64),
    SHA512(2, "sha512", "SHA-512", 64, 128);

    /** The number in the descriptor and the enable argument. */
    public final int id;
    /** The name fsverity-utils prints ("sha256"). */
    public final String label;
    /** Digest size in bytes. */
    public final int digestSize;
    /** The hash function's own block size: the salt is padded to it. */
    public final int hashBlockSize;
    private final String jdkName;
    private final ThreadLocal<MessageDigest> perThread;

    HashAlgorithm(int id, String label, String jdkName, int digestSize, int hashBlockSize) {
        this.id = id;
        this.label = label;
        this.jdkName = jdkName;
        this.digestSize = digestSize;
        this.hashBlockSize = hashBlockSize;
        this.perThread = ThreadLocal.withInitial(this::newDigest);
    }

    private MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance(jdkName);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks " + jdkName, e); // every JDK must have it
        }
    }

    /** This thread's instance (reset before use). Never share it across threads. */
    MessageDigest digest() {
        MessageDigest md = perThread.get();
        md.reset();
        return md;
    }

    /** By descriptor number; null if unknown. */
    public static HashAlgorithm byId(int id) {
        for (HashAlgorithm a : values()) if (a.id == id) return a;
        return null;
    }

    /** By fsverity-utils name ("sha256", "sha512"); null if unknown. */
    public static HashAlgorithm byLabel(String label) {
        for (HashAlgorithm a : values()) if (a.label.equals(label)) return a;
        return null;
    }
}
