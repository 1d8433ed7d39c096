package io.strata.core;

/**
 * A SETATTR request: which attributes change ({@code valid} bits) and to what. Times given as
 * *_NOW bits mean "the file system's current time". {@code fh} is the open handle if the change came
 * through one (ftruncate, fchmod), else -1. A uid or gid of -1 means "unchanged" even with its bit
 * set. {@link Access#checkSetattr} turns a request into the change to apply.
 */
public record SetAttr(int valid, int mode, int uid, int gid, long size, long atimeNs, long mtimeNs,
                      long ctimeNs, long fh) {
    public static final int MODE = 1, UID = 2, GID = 4, SIZE = 8, ATIME = 16, MTIME = 32, ATIME_NOW = 64,
            MTIME_NOW = 128, CTIME = 256, KILL_SUIDGID = 512;
    /**
     * The mtime is the frontend's cached time (FUSE writeback cache: the kernel keeps mtime itself
     * and sends {@code utimensat(UTIME_NOW)} and cache flushes as explicit times). Stored as given,
     * but checked as a "now" change: the owner or anyone who may write the file.
     */
    public static final int MTIME_CACHED = 1024;

    public boolean has(int bit) {
        return (valid & bit) != 0;
    }

    public static SetAttr size(long size) {
        return new SetAttr(SIZE, 0, 0, 0, size, 0, 0, 0, -1);
    }

    public static SetAttr mode(int mode) {
        return new SetAttr(MODE, mode, 0, 0, 0, 0, 0, 0, -1);
    }

    public static SetAttr owner(int uid, int gid) {
        return new SetAttr((uid != -1 ? UID : 0) | (gid != -1 ? GID : 0), 0, uid, gid, 0, 0, 0, 0, -1);
    }

    public static SetAttr times(long atimeNs, long mtimeNs) {
        return new SetAttr(ATIME | MTIME, 0, 0, 0, 0, atimeNs, mtimeNs, 0, -1);
    }

    public static SetAttr timesNow() {
        return new SetAttr(ATIME | MTIME | ATIME_NOW | MTIME_NOW, 0, 0, 0, 0, 0, 0, 0, -1);
    }

    public SetAttr withMode(int newMode) {
        return new SetAttr(valid | MODE, newMode, uid, gid, size, atimeNs, mtimeNs, ctimeNs, fh);
    }

    public SetAttr withFh(long handle) {
        return new SetAttr(valid, mode, uid, gid, size, atimeNs, mtimeNs, ctimeNs, handle);
    }
}
