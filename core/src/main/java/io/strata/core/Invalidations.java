package io.strata.core;

/**
 * How a file system reports changes it learns of (a host edit seen by inotify, a remote change, a
 * lower layer of a stack) to whoever caches what it served. Frontends and stackers subscribe with
 * {@link FileSystem#subscribe}. Implementations must not block and must not call back into the
 * file system: FUSE sends these from a separate thread, because an entry notification sent while a
 * request on the same directory is in flight deadlocks.
 */
public interface Invalidations {
    /** Data of {@code ino} in [off, off+len) changed (len 0: to EOF); off < 0: only attributes. */
    void inode(long ino, long off, long len);

    /** The name {@code name} in {@code parent} may now point elsewhere or nowhere. */
    void entry(long parent, Name name);

    /** {@code child} was removed from {@code parent} under {@code name}. */
    void delete(long parent, long child, Name name);

    Invalidations NONE = new Invalidations() {
        @Override public void inode(long ino, long off, long len) {}
        @Override public void entry(long parent, Name name) {}
        @Override public void delete(long parent, long child, Name name) {}
    };

    /** A subscription; closing it stops delivery (idempotent). */
    interface Subscription extends AutoCloseable {
        @Override void close();

        Subscription NONE = () -> {};
    }

    /**
     * For stackers: forwards to {@code upper} with each lower id mapped to the stacker's id
     * ({@code map} returns 0 for ids the stacker never handed out, which are dropped).
     */
    static Invalidations translated(Invalidations upper, java.util.function.LongUnaryOperator map) {
        return new Invalidations() {
            @Override public void inode(long ino, long off, long len) {
                long u = map.applyAsLong(ino);
                if (u != 0) upper.inode(u, off, len);
            }

            @Override public void entry(long parent, Name name) {
                long u = map.applyAsLong(parent);
                if (u != 0) upper.entry(u, name);
            }

            @Override public void delete(long parent, long child, Name name) {
                long p = map.applyAsLong(parent), ch = map.applyAsLong(child);
                if (p != 0 && ch != 0) upper.delete(p, ch, name);
                else if (p != 0) upper.entry(p, name);
            }
        };
    }
}
