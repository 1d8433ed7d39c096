package io.strata.verity;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * fs-verity's 256-byte {@code struct fsverity_descriptor}, whose hash is the file digest:
 * <pre>
 *   0 u8 version (1)      1 u8 hash_algorithm     2 u8 log_blocksize     3 u8 salt_size
 *   4 le32 sig_size (0: signatures are not part of the digest)            8 le64 data_size
 *  16 u8 root_hash[64] (zero-padded)   80 u8 salt[32] (zero-padded)   112 u8 reserved[144] (0)
 * </pre>
 */
public record VerityDescriptor(VerityParams params, long dataSize, byte[] rootHash) {
    public static final int SIZE = 256;
    private static final int ROOT_OFF = 16, ROOT_MAX = 64, SALT_OFF = 80, RESERVED_OFF = 112;

    public VerityDescriptor {
        if (dataSize < 0) throw new IllegalArgumentException("negative data size");
        if (rootHash.length != params.algorithm().digestSize)
            throw new IllegalArgumentException("root hash of " + rootHash.length + " bytes for " + params.algorithm().label);
        rootHash = rootHash.clone();
    }

    @Override
    public byte[] rootHash() {
        return rootHash.clone();
    }

    public byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 1).put((byte) params.algorithm().id).put((byte) params.logBlockSize())
                .put((byte) params.saltSize()).putInt(0).putLong(dataSize);
        b.put(ROOT_OFF, rootHash);
        b.put(SALT_OFF, params.salt());
        return b.array();
    }

    /**
     * Parses and validates a stored descriptor; {@link IllegalArgumentException} naming the first
     * bad field (wrong length, version, algorithm, block size, salt size, non-zero padding or
     * reserved bytes, a signature).
     */
    public static VerityDescriptor decode(byte[] raw) {
        if (raw.length != SIZE) throw new IllegalArgumentException("descriptor of " + raw.length + " bytes, not " + SIZE);
        ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        if (raw[0] != 1) throw new IllegalArgumentException("descriptor version " + (raw[0] & 0xff));
        HashAlgorithm alg = HashAlgorithm.byId(raw[1] & 0xff);
        if (alg == null) throw new IllegalArgumentException("unknown hash algorithm " + (raw[1] & 0xff));
        int log = raw[2] & 0xff;
        if (log < 10 || log > 16) throw new IllegalArgumentException("log2 block size " + log);
        int saltSize = raw[3] & 0xff;
        if (saltSize > VerityParams.MAX_SALT) throw new IllegalArgumentException("salt size " + saltSize);
        if (b.getInt(4) != 0) throw new IllegalArgumentException("signed descriptors are not supported");
        long dataSize = b.getLong(8);
        if (dataSize < 0) throw new IllegalArgumentException("data size " + Long.toUnsignedString(dataSize));
        int d = alg.digestSize;
        if (!zero(raw, ROOT_OFF + d, ROOT_OFF + ROOT_MAX) || !zero(raw, SALT_OFF + saltSize, SALT_OFF + VerityParams.MAX_SALT)
                || !zero(raw, RESERVED_OFF, SIZE))
            throw new IllegalArgumentException("non-zero padding or reserved bytes");
        VerityParams p = new VerityParams(alg, 1 << log, Arrays.copyOfRange(raw, SALT_OFF, SALT_OFF + saltSize));
        return new VerityDescriptor(p, dataSize, Arrays.copyOfRange(raw, ROOT_OFF, ROOT_OFF + d));
    }

    private static boolean zero(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) if (b[i] != 0) return false;
        return true;
    }

    /** The fs-verity file digest: the hash of the encoded descriptor (no salt). */
    public byte[] digest() {
        byte[] enc = encode();
        return params.algorithm().digest().digest(enc);
    }

    /** "sha256:&lt;hex&gt;", as {@code fsverity digest} and {@code fsverity measure} print it. */
    public String digestString() {
        return params.algorithm().label + ":" + HexFormat.of().formatHex(digest());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VerityDescriptor v && v.params.equals(params) && v.dataSize == dataSize
                && Arrays.equals(v.rootHash, rootHash);
    }

    @Override
    public int hashCode() {
        return params.hashCode() * 31 + Arrays.hashCode(rootHash);
    }
}
