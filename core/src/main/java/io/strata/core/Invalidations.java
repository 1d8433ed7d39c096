package io.strata.core;

/**
 * How a file system reports changes it learns of (a host edit seen by inotify, a remote change, a
 * lower layer of a stack) so the frontend can drop what the caller cached. Implementations must not
 * block and must not call back into the file system: FUSE sends these from a separate thread,
 * because an entry notification sent while a request on the same directory is in flight deadlocks.
 */
public interface Invalidations {
    /** Data of {@code ino} in [off, off+len) changed (len 0: to EOF); off < 0: only attributes. */
    void inode(long ino, long off, long len);

    /** The name {@code name} in {@code parent} may now point elsewhere or nowhere. */
    void entry(long parent, String name);

    /** {@code child} was removed from {@code parent} under {@code name}. */
    void delete(long parent, long child, String name);

    Invalidations NONE = new Invalidations() {
        @Override public void inode(long ino, long off, long len) {}
        @Override public void entry(long parent, String name) {}
        @Override public void delete(long parent, long child, String name) {}
    };
}
