package io.strata.core;

/**
 * A SETATTR request: which attributes change ({@code valid} bits) and to what. Times given as
 * *_NOW bits mean "the file system's current time". {@code fh} is the open handle if the change came
 * through one (ftruncate, fchmod), else -1.
 */
public record SetAttr(int valid, int mode, int uid, int gid, long size, long atimeNs, long mtimeNs,
                      long ctimeNs, long fh) {
    public static final int MODE = 1, UID = 2, GID = 4, SIZE = 8, ATIME = 16, MTIME = 32, ATIME_NOW = 64,
            MTIME_NOW = 128, CTIME = 256, KILL_SUIDGID = 512;

    public boolean has(int bit) {
        return (valid & bit) != 0;
    }

    public static SetAttr size(long size) {
        return new SetAttr(SIZE, 0, 0, 0, size, 0, 0, 0, -1);
    }

    public static SetAttr mode(int mode) {
        return new SetAttr(MODE, mode, 0, 0, 0, 0, 0, 0, -1);
    }
}
