package io.strata.core;

/** Mode type bits and the d_type values readdir reports. */
public final class FileType {
    private FileType() {}

    public static final int S_IFMT = 0170000, S_IFSOCK = 0140000, S_IFLNK = 0120000, S_IFREG = 0100000,
            S_IFBLK = 0060000, S_IFDIR = 0040000, S_IFCHR = 0020000, S_IFIFO = 0010000;
    public static final int S_ISUID = 04000, S_ISGID = 02000, S_ISVTX = 01000;

    public static final int DT_UNKNOWN = 0, DT_FIFO = 1, DT_CHR = 2, DT_DIR = 4, DT_BLK = 6, DT_REG = 8,
            DT_LNK = 10, DT_SOCK = 12;

    /** d_type for a mode: the type bits shifted down, as the kernel's IFTODT. */
    public static int dtype(int mode) {
        return (mode & S_IFMT) >>> 12;
    }

    public static boolean isDir(int mode) {
        return (mode & S_IFMT) == S_IFDIR;
    }

    public static boolean isReg(int mode) {
        return (mode & S_IFMT) == S_IFREG;
    }

    public static boolean isLink(int mode) {
        return (mode & S_IFMT) == S_IFLNK;
    }
}
