package io.strata.core;

/** open(2) flags as the SPI carries them (Linux x86_64/generic values), and what they ask for. */
public final class OpenFlags {
    private OpenFlags() {}

    public static final int O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_ACCMODE = 3, O_CREAT = 0100,
            O_EXCL = 0200, O_NOCTTY = 0400, O_TRUNC = 01000, O_APPEND = 02000, O_NONBLOCK = 04000,
            O_DSYNC = 010000, O_DIRECT = 040000, O_LARGEFILE = 0100000, O_DIRECTORY = 0200000,
            O_NOFOLLOW = 0400000, O_NOATIME = 01000000, O_CLOEXEC = 02000000, O_SYNC = 04010000,
            O_PATH = 010000000, O_TMPFILE = 020200000;

    public static boolean writes(int flags) {
        int acc = flags & O_ACCMODE;
        return acc == O_WRONLY || acc == O_RDWR;
    }

    public static boolean reads(int flags) {
        int acc = flags & O_ACCMODE;
        return acc == O_RDONLY || acc == O_RDWR;
    }

    /** The access(2) mask (R 4, W 2) an open with these flags needs; O_TRUNC needs W too. */
    public static int accessMask(int flags) {
        int mask = switch (flags & O_ACCMODE) {
            case O_WRONLY -> Access.W;
            case O_RDWR -> Access.R | Access.W;
            default -> Access.R;
        };
        if ((flags & O_TRUNC) != 0) mask |= Access.W;
        return mask;
    }
}
