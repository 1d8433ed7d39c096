package io.strata.passthrough;

import io.strata.core.Errno;
import io.strata.core.Name;
import io.strata.core.OpenFlags;
import io.strata.passthrough.PassthroughOptions.Handles;
import io.strata.sys.Libc;
import io.strata.sys.PosixFiles;
import io.strata.sys.PosixFiles.FileHandle;
import io.strata.sys.SysException;

/**
 * File-handle identity (name_to_handle_at / open_by_handle_at), as virtiofsd's file_handle module.
 * A handle names an inode together with its generation, so a reused inode number can never match an
 * old node, and holding one costs no descriptor.
 *
 * <p>The fallback rule: only EOPNOTSUPP (the file system cannot export handles) and EOVERFLOW (the
 * handle is larger than MAX_HANDLE_SZ) mean "this object has no handle". Both are properties of the
 * object's file system, so such an object never has a handle and its (dev, ino, mnt_id) key is
 * stable. Any other error (ENOMEM, EACCES, ESTALE, ...) is a failure of this call and is reported
 * as one: treating it as "no handle" would key the same file by handle on one lookup and by inode
 * number on the next, giving one file two nodes.
 */
final class FileHandles {
    /** name_to_handle_at on the object a descriptor refers to; replaceable in tests. */
    interface Source {
        FileHandle of(int fd) throws SysException;

        default FileHandle ofChild(int dirfd, Name name) throws SysException {
            return PosixFiles.nameToHandleAt(dirfd, name, 0);
        }
    }

    static final Source KERNEL = fd -> PosixFiles.nameToHandleAt(fd, PosixFiles.EMPTY_PATH, PosixFiles.AT_EMPTY_PATH);

    private final Handles mode;
    private final Source source;
    private final boolean inUse;
    /** The root's handle, when in use. */
    final FileHandle root;

    private FileHandles(Handles mode, Source source, boolean inUse, FileHandle root) {
        this.mode = mode;
        this.source = source;
        this.inUse = inUse;
        this.root = root;
    }

    static boolean meansNoHandle(int errno) {
        return errno == Errno.EOPNOTSUPP || errno == Errno.EOVERFLOW;
    }

    /**
     * Decides whether handles are used for the share rooted at {@code rootFd}: never for NEVER; for
     * PREFER if the root has a handle and open_by_handle_at works (it needs CAP_DAC_READ_SEARCH:
     * EPERM without it); MANDATORY fails where PREFER falls back. Registers the root's mount fd.
     */
    static FileHandles open(Handles mode, Source source, int rootFd, int procSelfFd, MountFds mounts)
            throws SysException {
        if (mode == Handles.NEVER) return new FileHandles(mode, source, false, null);
        FileHandle h = of(source, rootFd);
        if (h == null) {
            if (mode == Handles.MANDATORY) throw new SysException("name_to_handle_at", "source", Errno.EOPNOTSUPP);
            return new FileHandles(mode, source, false, null);
        }
        int mountFd = PosixFiles.openat(procSelfFd, Node.fdName(rootFd),
                OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY | OpenFlags.O_CLOEXEC, 0);
        try {
            Libc.close(PosixFiles.openByHandleAt(mountFd, h, OpenFlags.O_PATH | OpenFlags.O_CLOEXEC));
        } catch (SysException e) {
            Libc.closeQuietly(mountFd);
            if (e.errno() != Errno.EPERM || mode == Handles.MANDATORY) throw e;
            return new FileHandles(mode, source, false, null);
        }
        mounts.put(h.mountId(), mountFd);
        return new FileHandles(mode, source, true, h);
    }

    private static FileHandle of(Source source, int fd) throws SysException {
        try {
            return source.of(fd);
        } catch (SysException e) {
            if (meansNoHandle(e.errno())) return null;
            throw e;
        }
    }

    boolean inUse() {
        return inUse;
    }

    boolean mandatory() {
        return mode == Handles.MANDATORY;
    }

    /** The handle of the object {@code fd} refers to; null if it cannot have one (see class comment). */
    FileHandle of(int fd) throws SysException {
        return of(source, fd);
    }

    /** The handle of {@code name} in {@code dirfd} (not following a symlink); null if it cannot have one. */
    FileHandle ofChild(int dirfd, Name name) throws SysException {
        try {
            return source.ofChild(dirfd, name);
        } catch (SysException e) {
            if (meansNoHandle(e.errno())) return null;
            throw e;
        }
    }
}
