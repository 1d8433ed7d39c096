package io.strata.core;

import io.strata.sys.Errno;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * The Strata file-system SPI: inode-based, like the kernel VFS and FUSE's low-level protocol.
 *
 * <h2>Identity and lifetime</h2>
 * Inodes are named by a 64-bit id; {@link #ROOT} is the root. An id may be reused only with a new
 * generation, so (ino, generation) is unique for the lifetime of the file system. Every {@link Entry}
 * returned (lookup, create, mkdir, mknod, symlink, link, tmpfile) adds one lookup reference;
 * {@link #forget} drops references. The file system must keep an inode's id valid while it has
 * lookup references or open handles, even after its last name is gone.
 *
 * <h2>Threads</h2>
 * Methods are called concurrently from many threads, for the same or different inodes. Each
 * implementation documents its own locking.
 *
 * <h2>Errors</h2>
 * Failures are {@link FsException}s carrying an errno. Optional operations default to ENOSYS,
 * which frontends translate into their protocol's "not supported" (FUSE then stops asking).
 *
 * <h2>Permissions</h2>
 * A file system checks permissions itself using the {@link Caller}; frontends may additionally let
 * the kernel check (FUSE default_permissions).
 */
public interface FileSystem {
    long ROOT = 1;

    /** Called once before the first request. */
    default void init(FsContext context) throws FsException {}

    /** Called once when the frontend stops serving; flush everything. */
    default void destroy() {}

    // ---- names and attributes ----

    Entry lookup(Caller c, long parent, String name) throws FsException;

    /** Drops {@code nlookup} lookup references. Never fails. */
    void forget(long ino, long nlookup);

    AttrReply getattr(Caller c, long ino, long fh) throws FsException;

    AttrReply setattr(Caller c, long ino, SetAttr changes) throws FsException;

    default String readlink(Caller c, long ino) throws FsException {
        throw FsException.of(Errno.EINVAL);
    }

    Entry mknod(Caller c, long parent, String name, int mode, int rdev, int umask) throws FsException;

    Entry mkdir(Caller c, long parent, String name, int mode, int umask) throws FsException;

    Entry symlink(Caller c, long parent, String name, String target) throws FsException;

    Entry link(Caller c, long ino, long newParent, String newName) throws FsException;

    void unlink(Caller c, long parent, String name) throws FsException;

    void rmdir(Caller c, long parent, String name) throws FsException;

    int RENAME_NOREPLACE = 1, RENAME_EXCHANGE = 2, RENAME_WHITEOUT = 4;

    void rename(Caller c, long parent, String name, long newParent, String newName, int flags) throws FsException;

    // ---- files ----

    /** {@code flags} are open(2) flags (O_ACCMODE, O_TRUNC, O_APPEND, ...). */
    Opened open(Caller c, long ino, int flags) throws FsException;

    Created create(Caller c, long parent, String name, int mode, int flags, int umask) throws FsException;

    /** An unnamed regular file in {@code parent} (O_TMPFILE). */
    default Created tmpfile(Caller c, long parent, int mode, int flags, int umask) throws FsException {
        throw FsException.of(Errno.ENOSYS);
    }

    /** Reads at {@code offset} into {@code dst} from its position; returns bytes read (0 at EOF). */
    int read(Caller c, long ino, long fh, long offset, ByteBuffer dst) throws FsException;

    /** Write came from the page cache (writeback), not directly from a write(2). */
    int WRITE_CACHE = 1;
    /** Clear set-user-id / set-group-id bits as part of this write. */
    int WRITE_KILL_SUIDGID = 2;

    /** Writes {@code src} (position to limit) at {@code offset}; returns bytes written. */
    int write(Caller c, long ino, long fh, long offset, ByteBuffer src, int writeFlags) throws FsException;

    default void flush(Caller c, long ino, long fh, long lockOwner) throws FsException {}

    void release(long ino, long fh, int flags);

    default void fsync(Caller c, long ino, long fh, boolean datasync) throws FsException {}

    int FALLOC_KEEP_SIZE = 1, FALLOC_PUNCH_HOLE = 2, FALLOC_ZERO_RANGE = 0x10;

    default void fallocate(Caller c, long ino, long fh, int mode, long offset, long length) throws FsException {
        throw FsException.of(Errno.EOPNOTSUPP);
    }

    int SEEK_SET = 0, SEEK_CUR = 1, SEEK_END = 2, SEEK_DATA = 3, SEEK_HOLE = 4;

    /** SEEK_DATA / SEEK_HOLE (others are handled by the kernel); ENXIO past the end. */
    default long lseek(Caller c, long ino, long fh, long offset, int whence) throws FsException {
        throw FsException.of(Errno.ENOSYS);
    }

    default long copyFileRange(Caller c, long inoIn, long fhIn, long offIn, long inoOut, long fhOut, long offOut,
                               long len, int flags) throws FsException {
        throw FsException.of(Errno.ENOSYS);
    }

    // ---- directories ----

    default Opened opendir(Caller c, long ino, int flags) throws FsException {
        return Opened.of(0, 0);
    }

    /**
     * Lists entries after {@code cookie} (0: from the start, including "." and ".."). An entry that
     * survives concurrent changes is reported exactly once over a whole listing; entries added or
     * removed meanwhile may or may not be.
     */
    void readdir(Caller c, long ino, long fh, long cookie, DirSink sink) throws FsException;

    default void releasedir(long ino, long fh) {}

    default void fsyncdir(Caller c, long ino, long fh, boolean datasync) throws FsException {}

    // ---- misc ----

    StatFs statfs(Caller c, long ino) throws FsException;

    /** access(2) mask bits: R_OK 4, W_OK 2, X_OK 1; F_OK 0. */
    default void access(Caller c, long ino, int mask) throws FsException {}

    int XATTR_CREATE = 1, XATTR_REPLACE = 2;

    default void setxattr(Caller c, long ino, String name, byte[] value, int flags) throws FsException {
        throw FsException.of(Errno.EOPNOTSUPP);
    }

    /** The value; ENODATA if absent. Size probing and ERANGE are the frontend's business. */
    default byte[] getxattr(Caller c, long ino, String name) throws FsException {
        throw FsException.of(Errno.EOPNOTSUPP);
    }

    default List<String> listxattr(Caller c, long ino) throws FsException {
        return List.of();
    }

    default void removexattr(Caller c, long ino, String name) throws FsException {
        throw FsException.of(Errno.EOPNOTSUPP);
    }

    /** True if every change is refused with EROFS. */
    default boolean readOnly() {
        return false;
    }
}
