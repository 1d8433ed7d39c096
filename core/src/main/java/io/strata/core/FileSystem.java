package io.strata.core;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The Strata file-system SPI (v2): inode-based, like the kernel VFS and FUSE's low-level protocol.
 * Backends implement it, stackers implement it over other FileSystems, frontends (FUSE, 9P, nio)
 * serve it through a {@link Session}. {@code docs/spi.md} explains the whole contract;
 * {@code FileSystemContract} (core's test jar) checks it for every implementation.
 *
 * <h2>Ownership and sessions</h2>
 * Whoever builds a file system owns it and calls {@link #close()} once nothing serves it any more.
 * Frontends never close what they serve: they {@linkplain Session#attach attach} a Session, which
 * records the lookup references it handed out and forgets exactly those when it detaches. One file
 * system may be served by any number of sessions at once (two FUSE mounts, a 9P server, a nio view,
 * two unions sharing a layer).
 *
 * <h2>Names</h2>
 * Names are {@link Name}s (bytes, validated: one component, no '/', no NUL, at most 255 bytes);
 * symlink targets and xattr values are byte arrays; xattr names are {@link XattrName}s. Nothing in
 * the SPI decodes bytes into text.
 *
 * <h2>Identity and lifetime</h2>
 * Inodes are named by a 64-bit id; {@link #ROOT} is the root. An id may be reused only with a new
 * generation, so (ino, generation) is unique for the lifetime of the file system. Every {@link Entry}
 * handed out (lookup, walk, readdirplus, create, mkdir, mknod, symlink, link, tmpfile) and every
 * {@link #retain} adds lookup references; {@link #forget} drops them. The file system keeps an id
 * valid while it has lookup references or open handles, even after its last name is gone; unknown
 * or freed ids answer ESTALE.
 *
 * <h2>Permissions</h2>
 * Every implementation enforces POSIX permissions for the {@link Caller} itself, with the rules of
 * {@link Access} (a 9P server or a nio view has no kernel in front of it). A frontend may let the
 * kernel check as well (FUSE default_permissions); that is never required for safety.
 *
 * <h2>Threads</h2>
 * Methods are called concurrently from many threads, for the same or different inodes. Each
 * implementation documents its locks and their order.
 *
 * <h2>Errors</h2>
 * Failures are {@link FsException}s carrying an errno. ENOSYS from an optional operation means
 * "not supported by this call"; frontends must not conclude that the whole mount lacks it unless
 * {@link #features()} says so (a union's layers may differ).
 */
public interface FileSystem extends AutoCloseable {
    long ROOT = 1;

    // ---- ownership, capabilities ----

    /** Releases everything; called once, by the owner, after every session detached. */
    @Override
    default void close() {}

    /** What this file system supports. Constant for its lifetime. */
    default Set<Feature> features() {
        return EnumSet.of(Feature.PERMISSIONS);
    }

    /**
     * The cache policy this file system applies to its replies. Frontends derive their own
     * negotiation from it (FUSE: writeback cache only for EXCLUSIVE).
     */
    default CachePolicy cachePolicy() {
        return CachePolicy.of(CacheMode.SHARED);
    }

    /** Receives the changes this file system learns of until the subscription is closed. */
    default Invalidations.Subscription subscribe(Invalidations sink) {
        return Invalidations.Subscription.NONE;
    }

    /** True if every change is refused with EROFS. */
    default boolean readOnly() {
        return false;
    }

    // ---- names and attributes ----

    /**
     * The entry for {@code name} in directory {@code parent} (search permission needed). "." is the
     * directory itself and ".." its parent; the root's ".." is the root.
     */
    Entry lookup(Caller c, long parent, Name name) throws FsException;

    /** Drops {@code nlookup} lookup references. Never fails. */
    void forget(long ino, long nlookup);

    /** Adds {@code n} lookup references to a live inode without a name (a 9P fid clone). */
    void retain(long ino, long n) throws FsException;

    /**
     * Looks up {@code names} one after another from {@code parent} and returns an Entry (one
     * reference each) for every name resolved. Stops at the first name that fails: a failure of
     * the first name throws, a later one returns the shorter list (9P Twalk semantics). The caller
     * forgets the intermediate entries it does not keep.
     */
    default List<Entry> walk(Caller c, long parent, List<Name> names) throws FsException {
        List<Entry> out = new ArrayList<>(names.size());
        long at = parent;
        for (Name n : names) {
            Entry e;
            try {
                e = lookup(c, at, n);
            } catch (FsException x) {
                if (out.isEmpty()) throw x;
                return out;
            }
            out.add(e);
            at = e.ino();
        }
        return out;
    }

    /** Attributes; {@code fh} is an open handle or -1. */
    AttrReply getattr(Caller c, long ino, long fh) throws FsException;

    /** Applies a change after {@link Access#checkSetattr}. */
    AttrReply setattr(Caller c, long ino, SetAttr changes) throws FsException;

    /** The target of a symlink, as bytes. */
    default byte[] readlink(Caller c, long ino) throws FsException {
        throw FsException.of(Errno.EINVAL);
    }

    Entry mknod(Caller c, long parent, Name name, int mode, int rdev, int umask) throws FsException;

    Entry mkdir(Caller c, long parent, Name name, int mode, int umask) throws FsException;

    Entry symlink(Caller c, long parent, Name name, byte[] target) throws FsException;

    Entry link(Caller c, long ino, long newParent, Name newName) throws FsException;

    void unlink(Caller c, long parent, Name name) throws FsException;

    void rmdir(Caller c, long parent, Name name) throws FsException;

    int RENAME_NOREPLACE = 1, RENAME_EXCHANGE = 2, RENAME_WHITEOUT = 4;

    void rename(Caller c, long parent, Name name, long newParent, Name newName, int flags) throws FsException;

    // ---- files ----

    /** {@code flags} are open(2) flags ({@link OpenFlags}). */
    Opened open(Caller c, long ino, int flags) throws FsException;

    Created create(Caller c, long parent, Name name, int mode, int flags, int umask) throws FsException;

    /** An unnamed regular file in {@code parent} (O_TMPFILE). */
    default Created tmpfile(Caller c, long parent, int mode, int flags, int umask) throws FsException {
        throw FsException.of(Errno.EOPNOTSUPP);
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

    /** SEEK_DATA / SEEK_HOLE (others are handled by the caller); ENXIO past the end. */
    default long lseek(Caller c, long ino, long fh, long offset, int whence) throws FsException {
        throw FsException.of(Errno.ENOSYS);
    }

    default long copyFileRange(Caller c, long inoIn, long fhIn, long offIn, long inoOut, long fhOut, long offOut,
                               long len, int flags) throws FsException {
        throw FsException.of(Errno.ENOSYS);
    }

    /**
     * An ioctl from {@link Ioctl}'s allow-list on an open file: {@code in} holds the bytes the
     * command passes in, {@code outSize} how many it may return. ENOTTY if not supported.
     */
    default Ioctl.Reply ioctl(Caller c, long ino, long fh, int cmd, byte[] in, int outSize) throws FsException {
        throw FsException.of(Errno.ENOTTY);
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

    /**
     * Like {@link #readdir}, with an Entry (one lookup reference) for every name but "." and "..".
     * The default lists first and looks each name up afterwards (never inside readdir), so a file
     * system without a native version stays correct; backends that hold the inode at hand while
     * listing override it and report {@link Feature#READDIRPLUS}.
     */
    default void readdirplus(Caller c, long ino, long fh, long cookie, DirPlusSink sink) throws FsException {
        record Listed(Name name, long ino, int dtype, long next) {}
        List<Listed> batch = new ArrayList<>();
        readdir(c, ino, fh, cookie, (name, child, dtype, next) -> {
            batch.add(new Listed(name, child, dtype, next));
            return batch.size() < 256;
        });
        for (Listed l : batch) {
            Entry e = null;
            if (!l.name.isDotOrDotDot()) {
                try {
                    e = lookup(c, ino, l.name);
                } catch (FsException gone) {
                    // removed (or renamed) since it was listed: report the name without an entry
                }
            }
            if (!sink.add(l.name, e != null ? e.ino() : l.ino, l.dtype, l.next, e)) {
                if (e != null) forget(e.ino(), 1);
                return;
            }
        }
    }

    default void releasedir(long ino, long fh) {}

    default void fsyncdir(Caller c, long ino, long fh, boolean datasync) throws FsException {}

    // ---- misc ----

    StatFs statfs(Caller c, long ino) throws FsException;

    /** access(2): mask bits R 4, W 2, X 1 (0: existence). The default decides from getattr. */
    default void access(Caller c, long ino, int mask) throws FsException {
        Attr a = getattr(c, ino, -1).attr();
        if ((mask & Access.W) != 0 && readOnly()) throw FsException.of(Errno.EROFS);
        Access.check(c, a, mask);
    }

    int XATTR_CREATE = 1, XATTR_REPLACE = 2;

    default void setxattr(Caller c, long ino, XattrName name, byte[] value, int flags) throws FsException {
        throw FsException.of(Errno.EOPNOTSUPP);
    }

    /** The value; ENODATA if absent. Size probing and ERANGE are the frontend's business. */
    default byte[] getxattr(Caller c, long ino, XattrName name) throws FsException {
        throw FsException.of(Errno.EOPNOTSUPP);
    }

    /** Names the caller may see ({@link Access#listable}). */
    default List<XattrName> listxattr(Caller c, long ino) throws FsException {
        return List.of();
    }

    default void removexattr(Caller c, long ino, XattrName name) throws FsException {
        throw FsException.of(Errno.EOPNOTSUPP);
    }
}
