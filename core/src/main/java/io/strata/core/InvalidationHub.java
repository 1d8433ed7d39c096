package io.strata.core;

import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The multicast side of invalidations, for a file system to keep and call: every subscriber (a FUSE
 * session, a 9P server, a stacker above) gets every notice. Safe from any thread; delivery is
 * synchronous and subscribers must not block (frontends queue: {@link InvalidationQueue}).
 */
public final class InvalidationHub implements Invalidations {
    private final CopyOnWriteArrayList<Invalidations> subscribers = new CopyOnWriteArrayList<>();

    public Subscription subscribe(Invalidations sink) {
        subscribers.add(sink);
        return () -> subscribers.remove(sink);
    }

    public boolean hasSubscribers() {
        return !subscribers.isEmpty();
    }

    @Override
    public void inode(long ino, long off, long len) {
        for (Invalidations s : subscribers) s.inode(ino, off, len);
    }

    @Override
    public void entry(long parent, Name name) {
        for (Invalidations s : subscribers) s.entry(parent, name);
    }

    @Override
    public void delete(long parent, long child, Name name) {
        for (Invalidations s : subscribers) s.delete(parent, child, name);
    }
}
