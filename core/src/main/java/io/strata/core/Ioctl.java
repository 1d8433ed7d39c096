package io.strata.core;

/**
 * The ioctls a frontend may pass to {@link FileSystem#ioctl}: an explicit allow-list, because an
 * ioctl's argument layout is known only per command and a frontend must know how many bytes to
 * copy in and out. Anything else is ENOTTY at the frontend.
 */
public final class Ioctl {
    private Ioctl() {}

    /** _IOW('f', 133, struct fsverity_enable_arg): 128-byte struct, then salt and signature bytes. */
    public static final int FS_IOC_ENABLE_VERITY = 0x40806685;
    /** _IOWR('f', 134, struct fsverity_digest): u16 alg, u16 size, then the digest. */
    public static final int FS_IOC_MEASURE_VERITY = 0xc0046686;
    /** _IOWR('f', 135, struct fsverity_read_metadata_arg). */
    public static final int FS_IOC_READ_VERITY_METADATA = 0xc0286687;
    /** _IOR('f', 1, long): inode flags (lsattr). */
    public static final int FS_IOC_GETFLAGS = 0x80086601;

    public static boolean allowed(int cmd) {
        return cmd == FS_IOC_ENABLE_VERITY || cmd == FS_IOC_MEASURE_VERITY || cmd == FS_IOC_READ_VERITY_METADATA
                || cmd == FS_IOC_GETFLAGS;
    }

    /** The result of an ioctl: its return value and the bytes copied back to the caller. */
    public record Reply(int result, byte[] out) {
        public static final Reply OK = new Reply(0, new byte[0]);
    }
}
