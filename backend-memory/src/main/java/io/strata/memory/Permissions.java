package io.strata.memory;

import static io.strata.core.FileType.S_ISGID;
import static io.strata.core.FileType.S_ISUID;
import static io.strata.core.FileType.S_ISVTX;

import io.strata.core.Caller;
import io.strata.core.FsException;
import io.strata.core.Errno;

/**
 * POSIX permission rules, in one place, for a caller we know only by uid and primary gid (no
 * supplementary groups: the SPI's Caller does not carry them). Root (uid 0) bypasses read/write
 * checks and search on directories, but executing a non-directory still needs some x bit.
 *
 * <p>Reads mode/uid/gid without the inode lock; see {@link MemInode}.
 */
final class Permissions {
    private Permissions() {}

    static final int R = 4, W = 2, X = 1;

    /** True if {@code c} has every bit of {@code mask} (R/W/X) on {@code inode}. */
    static boolean allowed(Caller c, MemInode inode, int mask) {
        int mode = inode.mode;
        if (c.isRoot()) return (mask & X) == 0 || inode.isDir() || (mode & 0111) != 0;
        int bits;
        if (c.uid() == inode.uid) bits = mode >>> 6;
        else if (c.gid() == inode.gid) bits = mode >>> 3;
        else bits = mode;
        return (bits & mask & 7) == (mask & 7);
    }

    static void check(Caller c, MemInode inode, int mask) throws FsException {
        if (!allowed(c, inode, mask)) throw FsException.of(Errno.EACCES);
    }

    static boolean isOwnerOrRoot(Caller c, MemInode inode) {
        return c.isRoot() || c.uid() == inode.uid;
    }

    /** Sticky directories: only the owner of the entry, of the directory, or root may remove it. */
    static void checkSticky(Caller c, MemDir dir, MemInode victim) throws FsException {
        if ((dir.mode & S_ISVTX) != 0 && !c.isRoot() && c.uid() != dir.uid && c.uid() != victim.uid) {
            throw FsException.of(Errno.EPERM);
        }
    }

    /** The access mask open(2) flags need. */
    static int openMask(int flags) {
        int acc = flags & io.strata.sys.Libc.O_ACCMODE;
        int mask = switch (acc) {
            case io.strata.sys.Libc.O_WRONLY -> W;
            case io.strata.sys.Libc.O_RDWR -> R | W;
            default -> R;
        };
        if ((flags & io.strata.sys.Libc.O_TRUNC) != 0) mask |= W;
        return mask;
    }

    /** Mode after a chmod by {@code c}: S_ISGID dropped unless root or in the file's group. */
    static int chmodResult(Caller c, int newMode, int newGid) {
        int m = newMode & 07777;
        if (!c.isRoot() && c.gid() != newGid) m &= ~S_ISGID;
        return m;
    }

    /**
     * Permission bits after a chown of a non-directory: set-user-id always goes, set-group-id goes
     * when group-executable (without group x it means mandatory locking, which Linux keeps), and
     * only if the file has some x bit at all (nothing to escalate otherwise).
     */
    static int afterChown(MemInode inode, int mode) {
        if (inode.isDir() || (mode & 0111) == 0) return mode;
        return killSuidGid(mode);
    }

    /** What write(2) by an unprivileged writer and KILL_SUIDGID clear. */
    static int killSuidGid(int mode) {
        mode &= ~S_ISUID;
        if ((mode & 0010) != 0) mode &= ~S_ISGID;
        return mode;
    }
}
