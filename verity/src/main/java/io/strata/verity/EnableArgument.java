package io.strata.verity;

import io.strata.core.Errno;
import io.strata.core.FsException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * {@code struct fsverity_enable_arg} as the FUSE client forwards FS_IOC_ENABLE_VERITY: the 128-byte
 * struct (u32 version, u32 hash_algorithm, u32 block_size, u32 salt_size, u64 salt_ptr,
 * u32 sig_size, u32 reserved, u64 sig_ptr, u64 reserved[11]), then salt_size bytes of salt, then
 * sig_size bytes of signature (fs/fuse/ioctl.c copies both buffers after the struct; the pointers
 * are the caller's and meaningless here). Errnos as fs/verity/enable.c.
 */
record EnableArgument(VerityParams params, int sigSize) {
    static final int STRUCT_SIZE = 128;
    static final int EMSGSIZE = 90;
    /** FS_VERITY_MAX_SIGNATURE_SIZE. */
    static final int MAX_SIGNATURE = 16128;

    static EnableArgument parse(byte[] in) throws FsException {
        if (in == null || in.length < STRUCT_SIZE) throw new FsException(Errno.EINVAL, "short fsverity_enable_arg");
        ByteBuffer b = ByteBuffer.wrap(in).order(ByteOrder.LITTLE_ENDIAN);
        int version = b.getInt(0), alg = b.getInt(4), blockSize = b.getInt(8), saltSize = b.getInt(12);
        int sigSize = b.getInt(24), reserved1 = b.getInt(28);
        if (version != 1) throw new FsException(Errno.EINVAL, "fsverity_enable_arg version " + version);
        if (reserved1 != 0) throw new FsException(Errno.EINVAL, "reserved field set");
        for (int at = 40; at < STRUCT_SIZE; at++) if (in[at] != 0) throw new FsException(Errno.EINVAL, "reserved field set");
        if (Integer.compareUnsigned(saltSize, VerityParams.MAX_SALT) > 0) throw new FsException(EMSGSIZE, "salt of " + Integer.toUnsignedString(saltSize) + " bytes");
        if (Integer.compareUnsigned(sigSize, MAX_SIGNATURE) > 0) throw new FsException(EMSGSIZE, "signature too large");
        if (in.length < STRUCT_SIZE + saltSize + sigSize) throw new FsException(Errno.EINVAL, "salt or signature missing");
        HashAlgorithm a = HashAlgorithm.byId(alg);
        if (a == null) throw new FsException(Errno.EINVAL, "unknown hash algorithm " + alg);
        VerityParams p;
        try {
            p = new VerityParams(a, blockSize, Arrays.copyOfRange(in, STRUCT_SIZE, STRUCT_SIZE + saltSize));
        } catch (IllegalArgumentException e) {
            throw new FsException(Errno.EINVAL, e.getMessage());
        }
        return new EnableArgument(p, sigSize);
    }

    /** The bytes a frontend passes for these parameters (what {@code fsverity enable} sends). */
    static byte[] encode(VerityParams p, byte[] signature) {
        byte[] salt = p.salt();
        ByteBuffer b = ByteBuffer.allocate(STRUCT_SIZE + salt.length + signature.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(1).putInt(p.algorithm().id).putInt(p.blockSize()).putInt(salt.length);
        b.putLong(0).putInt(signature.length);
        b.position(STRUCT_SIZE);
        b.put(salt).put(signature);
        return b.array();
    }
}
