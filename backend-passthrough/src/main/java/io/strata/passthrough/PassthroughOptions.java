package io.strata.passthrough;

import io.strata.core.CacheMode;

/**
 * How a {@link PassthroughFileSystem} serves its source directory.
 *
 * @param mode          cache mode of the mount (default SHARED: the host edits the tree too)
 * @param handles       how inodes are identified (default NEVER, as the CLI and README say; see
 *                      {@link Handles})
 * @param allowDev      open / create device nodes (default false: a guest able to create or open
 *                      /dev/sda-like nodes on the host owns the host)
 * @param passthroughIo in EXCLUSIVE / WRITETHROUGH, hand the frontend a backing fd for kernel
 *                      passthrough I/O (default true); ignored in SHARED, where every read must
 *                      come through us so we can revalidate
 * @param readOnly      refuse every change with EROFS
 */
public record PassthroughOptions(CacheMode mode, Handles handles, boolean allowDev, boolean passthroughIo,
                                 boolean readOnly) {

    /**
     * Inode identity. NEVER (the default): every node pins its inode with an O_PATH fd, keyed by
     * (dev, ino, mnt_id); an inode stays valid while a frontend references it, even after the host
     * deletes its last name. PREFER: key by file handle (name_to_handle_at; the handle carries the
     * inode generation, so a reused inode number can never match an old node) and do not hold an fd
     * for non-directories, so host deletions free space and the fd count does not grow with the
     * kernel's inode cache; the price is that a file deleted while it is referenced but not open
     * answers ESTALE. PREFER falls back to NEVER when the source cannot export handles (EOPNOTSUPP,
     * EOVERFLOW) or the daemon lacks CAP_DAC_READ_SEARCH for open_by_handle_at; an object on a
     * file system below the source that cannot export handles is keyed as under NEVER. MANDATORY:
     * like PREFER but fails instead of falling back.
     */
    public enum Handles { NEVER, PREFER, MANDATORY }

    public PassthroughOptions {
        if (mode == null) mode = CacheMode.SHARED;
        if (handles == null) handles = Handles.NEVER;
    }

    public static PassthroughOptions defaults() {
        return new PassthroughOptions(CacheMode.SHARED, Handles.NEVER, false, true, false);
    }

    public PassthroughOptions withMode(CacheMode m) {
        return new PassthroughOptions(m, handles, allowDev, passthroughIo, readOnly);
    }

    public PassthroughOptions withHandles(Handles h) {
        return new PassthroughOptions(mode, h, allowDev, passthroughIo, readOnly);
    }

    public PassthroughOptions withAllowDev(boolean b) {
        return new PassthroughOptions(mode, handles, b, passthroughIo, readOnly);
    }

    public PassthroughOptions withPassthroughIo(boolean b) {
        return new PassthroughOptions(mode, handles, allowDev, b, readOnly);
    }

    public PassthroughOptions withReadOnly(boolean b) {
        return new PassthroughOptions(mode, handles, allowDev, passthroughIo, b);
    }
}
