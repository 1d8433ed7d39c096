package io.strata.core;

import static io.strata.core.FileType.S_ISGID;
import static io.strata.core.FileType.S_ISUID;
import static io.strata.core.FileType.S_ISVTX;

/**
 * The one POSIX permission model of Strata, used by every backend and stacker so that a frontend
 * without a kernel in front of it (9P, nio, FUSE with {@code nodefault_permissions}) is as safe as
 * a native file system. The rules follow Linux's VFS (fs/namei.c, fs/attr.c, fs/xattr.c,
 * fs/inode.c) for a caller whose capabilities are "all" for uid 0 and "none" otherwise.
 *
 * <p>Every method is a pure function of the caller and the attributes passed in; backends call them
 * with the attributes they hold under their own locks, so a check and the change it guards see the
 * same state.
 */
public final class Access {
    private Access() {}

    /** access(2) / MAY_* mask bits. */
    public static final int R = 4, W = 2, X = 1;

    // ---- the basic check ----

    /**
     * generic_permission: owner class, else group class (primary or supplementary group), else
     * other. Root may read and write anything, search any directory, and execute a non-directory
     * that has at least one x bit.
     */
    public static boolean allowed(Caller c, int mode, int uid, int gid, int mask) {
        mask &= 7;
        if (c.isRoot()) return (mask & X) == 0 || FileType.isDir(mode) || (mode & 0111) != 0;
        int bits;
        if (c.uid() == uid) {
            bits = mode >>> 6;
        } else {
            // Only ask for group membership (which may read /proc) when it makes a difference.
            int group = mode >>> 3, other = mode;
            bits = ((group ^ other) & mask) == 0 ? other : c.inGroup(gid) ? group : other;
        }
        return (bits & mask) == mask;
    }

    public static boolean allowed(Caller c, Attr a, int mask) {
        return allowed(c, a.mode(), a.uid(), a.gid(), mask);
    }

    /** EACCES unless {@link #allowed}. */
    public static void check(Caller c, int mode, int uid, int gid, int mask) throws FsException {
        if (!allowed(c, mode, uid, gid, mask)) throw FsException.of(Errno.EACCES);
    }

    public static void check(Caller c, Attr a, int mask) throws FsException {
        check(c, a.mode(), a.uid(), a.gid(), mask);
    }

    public static boolean isOwnerOrRoot(Caller c, int uid) {
        return c.isRoot() || c.uid() == uid;
    }

    // ---- namespace operations ----

    /** Looking a name up in {@code dir}: search permission. */
    public static void checkLookup(Caller c, Attr dir) throws FsException {
        check(c, dir, X);
    }

    /** Creating a name in {@code dir} (create, mkdir, mknod, symlink, link target dir). */
    public static void checkCreate(Caller c, Attr dir) throws FsException {
        check(c, dir, W | X);
    }

    /** Removing {@code victim} from {@code dir}: write+search on dir, and the sticky rule (EPERM). */
    public static void checkRemove(Caller c, Attr dir, Attr victim) throws FsException {
        check(c, dir, W | X);
        checkSticky(c, dir, victim);
    }

    /** Sticky directories: only the owner of the entry, of the directory, or root may remove it. */
    public static void checkSticky(Caller c, Attr dir, Attr victim) throws FsException {
        if ((dir.mode() & S_ISVTX) != 0 && !c.isRoot() && c.uid() != dir.uid() && c.uid() != victim.uid()) {
            throw FsException.of(Errno.EPERM);
        }
    }

    /**
     * rename(2): removal rights on the source, creation (and, if replacing, removal) rights on the
     * destination, and write permission on a directory that changes parent (its ".." changes).
     * {@code target} is null when the destination name is free. For RENAME_EXCHANGE the caller
     * passes both sides as victims of each other's directory.
     */
    public static void checkRename(Caller c, Attr oldDir, Attr source, Attr newDir, Attr target, boolean exchange)
            throws FsException {
        checkRemove(c, oldDir, source);
        if (target != null) checkRemove(c, newDir, target);
        else checkCreate(c, newDir);
        boolean moves = oldDir.ino() != newDir.ino();
        if (moves && source.isDirectory()) check(c, source, W);
        if (moves && exchange && target != null && target.isDirectory()) check(c, target, W);
    }

    /**
     * link(2) of {@code source} under fs.protected_hardlinks (on by default in every distribution,
     * and what a native file system answers here): only the owner, root, or someone who may read
     * and write a regular file that is not set-user-id nor set-group-id-executable may pin it with a
     * new name (EPERM), so nobody can keep a privileged file alive in a directory of theirs.
     */
    public static void checkLinkSource(Caller c, Attr source) throws FsException {
        if (isOwnerOrRoot(c, source.uid())) return;
        int mode = source.mode();
        boolean safe = source.isRegular() && (mode & S_ISUID) == 0
                && (mode & (S_ISGID | 0010)) != (S_ISGID | 0010)
                && allowed(c, source, R | W);
        if (!safe) throw FsException.of(Errno.EPERM);
    }

    /** Opening {@code a} with open(2) {@code flags}. */
    public static void checkOpen(Caller c, Attr a, int flags) throws FsException {
        check(c, a, OpenFlags.accessMask(flags));
    }

    // ---- new objects ----

    /** Owner, group and mode of a new object, as inode_init_owner + mode_strip_sgid decide them. */
    public record Ownership(int uid, int gid, int mode) {}

    /**
     * {@code mode} carries the type bits and the permission bits after the umask. In a set-group-id
     * directory the group is inherited and a new directory inherits the bit; a new non-directory
     * keeps a requested set-group-id bit only if group-executable-and-in-group (or root).
     */
    public static Ownership newObject(Caller c, Attr dir, int mode) {
        int gid = c.gid();
        if ((dir.mode() & S_ISGID) != 0) {
            gid = dir.gid();
            if (FileType.isDir(mode)) mode |= S_ISGID;
        }
        if (!FileType.isDir(mode) && (mode & (S_ISGID | 0010)) == (S_ISGID | 0010) && !c.isRoot() && !c.inGroup(gid)) {
            mode &= ~S_ISGID;
        }
        return new Ownership(c.uid(), gid, mode);
    }

    /** Permission bits of a create request after the umask (type bits kept). */
    public static int applyUmask(int mode, int umask) {
        return (mode & FileType.S_IFMT) | (mode & 07777 & ~umask);
    }

    // ---- attribute changes ----

    /**
     * Checks a setattr by {@code c} on an inode with attributes {@code cur} and returns the change
     * to apply: the same request, with {@link SetAttr#MODE} added or adjusted when set-id bits must
     * go (chmod without group membership, chown, truncate or KILL_SUIDGID by a non-root caller).
     * A size change through an open handle ({@code changes.fh() >= 0}) is not checked here: the
     * handle was opened for writing (the backend verifies that).
     */
    public static SetAttr checkSetattr(Caller c, Attr cur, SetAttr ch) throws FsException {
        boolean owner = isOwnerOrRoot(c, cur.uid());
        int mode = cur.mode();
        boolean modeChanges = false;
        if (ch.has(SetAttr.SIZE)) {
            if (cur.isDirectory()) throw FsException.of(Errno.EISDIR);
            if (!cur.isRegular()) throw FsException.of(Errno.EINVAL);
            if (ch.fh() < 0) check(c, cur, W);
        }
        if (ch.has(SetAttr.UID) && ch.uid() != -1) {
            // chown_ok: root, or the owner "changing" to itself
            if (!c.isRoot() && !(c.uid() == cur.uid() && ch.uid() == cur.uid())) throw FsException.of(Errno.EPERM);
        }
        if (ch.has(SetAttr.GID) && ch.gid() != -1) {
            // chgrp_ok: root, or the owner changing to its own group or a group it is in
            if (!c.isRoot() && !(c.uid() == cur.uid() && (ch.gid() == cur.gid() || c.inGroup(ch.gid())))) {
                throw FsException.of(Errno.EPERM);
            }
        }
        int newGid = ch.has(SetAttr.GID) && ch.gid() != -1 ? ch.gid() : cur.gid();
        if (ch.has(SetAttr.MODE)) {
            if (!owner) throw FsException.of(Errno.EPERM);
            mode = (mode & FileType.S_IFMT) | (ch.mode() & 07777);
            if (!c.isRoot() && !c.inGroup(newGid)) mode &= ~S_ISGID;
            modeChanges = true;
        }
        if ((ch.has(SetAttr.UID) || ch.has(SetAttr.GID)) && !cur.isDirectory()) {
            int before = mode;
            mode &= ~S_ISUID;
            if ((mode & S_ISGID) != 0 && ((mode & 0010) != 0 || (!c.isRoot() && !c.inGroup(newGid)))) mode &= ~S_ISGID;
            modeChanges |= mode != before;
        }
        if (ch.has(SetAttr.KILL_SUIDGID) || (ch.has(SetAttr.SIZE) && !c.isRoot())) {
            int before = mode;
            mode = killSuidGid(c, mode, newGid);
            modeChanges |= mode != before;
        }
        boolean explicitAtime = ch.has(SetAttr.ATIME) && !ch.has(SetAttr.ATIME_NOW);
        boolean explicitMtime = ch.has(SetAttr.MTIME) && !ch.has(SetAttr.MTIME_NOW) && !ch.has(SetAttr.MTIME_CACHED);
        if (explicitAtime || explicitMtime) {
            if (!owner) throw FsException.of(Errno.EPERM);
        } else if (ch.has(SetAttr.ATIME) || ch.has(SetAttr.MTIME) || ch.has(SetAttr.ATIME_NOW) || ch.has(SetAttr.MTIME_NOW)) {
            // utimensat(UTIME_NOW, UTIME_NOW): the owner, or anyone who may write the file
            if (!owner && !allowed(c, cur, W)) throw FsException.of(Errno.EACCES);
        }
        if (!modeChanges) return ch;
        return ch.withMode(mode & 07777);
    }

    /**
     * The bits a write(2) or truncate clears (file_remove_privs / setattr_should_drop_suidgid):
     * set-user-id always; set-group-id if group-executable, or if the writer is neither in the
     * file's group {@code gid} nor root. A set-group-id bit without group execute (mandatory
     * locking) survives a write by a member of the group.
     */
    public static int killSuidGid(Caller c, int mode, int gid) {
        mode &= ~S_ISUID;
        if ((mode & S_ISGID) != 0 && ((mode & 0010) != 0 || (!c.isRoot() && !c.inGroup(gid)))) mode &= ~S_ISGID;
        return mode;
    }

    /** Mode after a write by {@code c}: unchanged for root (CAP_FSETID), else {@link #killSuidGid}. */
    public static int modeAfterWrite(Caller c, int mode, int gid) {
        return c.isRoot() ? mode : killSuidGid(c, mode, gid);
    }

    // ---- extended attributes ----

    /**
     * xattr_permission: trusted.* is root's (others: EPERM to change, ENODATA to read); user.* only
     * on regular files and directories, and in a sticky directory only its owner may change them;
     * security.* may be read by anyone and changed by root; system.* (ACLs) by the owner; any other
     * namespace is EOPNOTSUPP.
     */
    public static void checkXattr(Caller c, Attr a, XattrName name, boolean write) throws FsException {
        switch (name.namespace()) {
            case TRUSTED -> {
                if (!c.isRoot()) throw FsException.of(write ? Errno.EPERM : Errno.ENODATA);
            }
            case USER -> {
                if (!a.isRegular() && !a.isDirectory()) throw FsException.of(write ? Errno.EPERM : Errno.ENODATA);
                if (write && a.isDirectory() && (a.mode() & S_ISVTX) != 0 && !isOwnerOrRoot(c, a.uid())) {
                    throw FsException.of(Errno.EPERM);
                }
                check(c, a, write ? W : R);
            }
            case SECURITY -> {
                if (write && !c.isRoot()) throw FsException.of(Errno.EPERM);
            }
            case SYSTEM -> {
                if (write && !isOwnerOrRoot(c, a.uid())) throw FsException.of(Errno.EPERM);
            }
            case OTHER -> throw FsException.of(Errno.EOPNOTSUPP);
        }
    }

    /** listxattr shows trusted.* only to root. */
    public static boolean listable(Caller c, XattrName name) {
        return name.namespace() != XattrName.Namespace.TRUSTED || c.isRoot();
    }
}
