package io.strata.passthrough;

import io.strata.core.Errno;
import io.strata.core.FsException;
import io.strata.core.Name;
import io.strata.core.OpenFlags;
import io.strata.sys.Libc;
import io.strata.sys.PosixFiles;
import io.strata.sys.PosixFiles.Stat;
import io.strata.sys.SysException;

/**
 * How names are resolved without ever leaving the shared directory.
 *
 * <ul>
 * <li>A {@link Name} is one component (no '/', no NUL: checked when it was made), resolved relative
 * to the parent's held descriptor with O_NOFOLLOW, and with openat2 RESOLVE_BENEATH |
 * RESOLVE_NO_MAGICLINKS where the kernel has it.</li>
 * <li>".." is resolved and then verified to lie inside the share ({@link #checkInside}); the root's
 * ".." is the root and is never resolved on the host.</li>
 * <li>Symlinks are never followed by the server: readlink returns the bytes, opening a symlink node
 * fails with ELOOP.</li>
 * <li>Every operation acts on held descriptors, never on paths, so a directory swapped for a symlink
 * after lookup cannot redirect it. Reopening a held inode goes through its /proc/self/fd magic
 * link, which lands on that inode whatever was renamed meanwhile.</li>
 * </ul>
 */
final class Jail implements AutoCloseable {
    static final int OPATH = OpenFlags.O_PATH | OpenFlags.O_NOFOLLOW | OpenFlags.O_CLOEXEC;
    private static final long RESOLVE = PosixFiles.RESOLVE_BENEATH | PosixFiles.RESOLVE_NO_MAGICLINKS;
    private static final byte[] DOTDOT = {'.', '.'};

    final int procSelfFd;
    private final boolean openat2;
    private final long rootDev, rootIno;

    Jail(int rootFd, int procSelfFd, Stat rootStat) {
        this.procSelfFd = procSelfFd;
        this.openat2 = probeOpenat2(rootFd);
        this.rootDev = rootStat.dev();
        this.rootIno = rootStat.ino();
    }

    private static boolean probeOpenat2(int dirfd) {
        try {
            Libc.close(PosixFiles.openat2(dirfd, Name.DOT, OPATH, 0, RESOLVE));
            return true;
        } catch (SysException e) {
            return false; // ENOSYS before 5.6, or blocked by a seccomp filter
        }
    }

    /** O_PATH|O_NOFOLLOW descriptor on {@code name} in the directory {@code dirfd}; never leaves it. */
    int openChild(int dirfd, Name name) throws SysException {
        if (openat2) return PosixFiles.openat2(dirfd, name, OPATH, 0, RESOLVE);
        return PosixFiles.openat(dirfd, name, OPATH, 0); // single component + O_NOFOLLOW: cannot escape
    }

    /** The parent of a directory that is not the root; verify it with {@link #checkInside}. */
    int openParent(int dirfd) throws SysException {
        return PosixFiles.openat(dirfd, DOTDOT, OpenFlags.O_PATH | OpenFlags.O_DIRECTORY | OpenFlags.O_CLOEXEC, 0);
    }

    /** Walks ".." from {@code dirfd} up to the share's root (inside) or the host's (outside: EACCES). */
    void checkInside(int dirfd) throws FsException, SysException {
        int cur = PosixFiles.dup(dirfd);
        try {
            for (int depth = 0; depth < 4096; depth++) {
                Stat s = PosixFiles.fstat(cur);
                if (s.dev() == rootDev && s.ino() == rootIno) return;
                int up = openParent(cur);
                Stat us = PosixFiles.fstat(up);
                Libc.closeQuietly(cur);
                cur = up;
                if (us.dev() == s.dev() && us.ino() == s.ino()) break; // reached "/"
            }
        } finally {
            Libc.closeQuietly(cur);
        }
        throw new FsException(Errno.EACCES, "parent lies outside the shared directory");
    }

    /**
     * Reopens a held inode (its /proc/self/fd name) with real open flags. The magic link must be
     * followed (O_NOFOLLOW would refuse it), and nothing is created through it.
     */
    int reopen(byte[] procName, int flags) throws SysException {
        int f = flags & ~(OpenFlags.O_NOFOLLOW | OpenFlags.O_CREAT | OpenFlags.O_EXCL);
        return PosixFiles.openat(procSelfFd, procName, f | OpenFlags.O_CLOEXEC, 0);
    }

    /** An O_PATH descriptor on the object {@code fd} refers to. */
    int opathOf(int fd) throws SysException {
        return reopen(Node.fdName(fd), OpenFlags.O_PATH);
    }

    /** chmod of the inode behind a held descriptor (O_PATH ones included). */
    void chmod(byte[] procName, int mode) throws SysException {
        PosixFiles.fchmodat(procSelfFd, procName, mode, 0);
    }

    @Override
    public void close() {
        Libc.closeQuietly(procSelfFd);
    }
}
