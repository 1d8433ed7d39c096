package io.strata.ninep;

import io.strata.core.Errno;
import io.strata.core.FsException;
import io.strata.core.Session;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A connection's fids. The map is concurrent; each {@link Fid} guards its own state. Installing a
 * fid that is in use fails with EBADF and leaves the caller to give back the reference it meant to
 * store. See {@link Fid} for how clunks and concurrent users meet.
 */
final class FidTable {
    private final ConcurrentHashMap<Integer, Fid> fids = new ConcurrentHashMap<>();
    private final Session session;

    FidTable(Session session) {
        this.session = session;
    }

    /** A use of a fid; closing it ends the use (and releases the fid if it was clunked meanwhile). */
    final class Use implements AutoCloseable {
        final Fid fid;

        private Use(Fid fid) {
            this.fid = fid;
        }

        @Override
        public void close() {
            if (fid.leave()) fid.releaseIn(session);
        }
    }

    Use use(int fid) throws FsException {
        Fid f = fids.get(fid);
        if (f == null || !f.enter()) throw new FsException(Errno.EBADF, "unknown fid " + Integer.toUnsignedString(fid));
        return new Use(f);
    }

    boolean inUse(int fid) {
        return fids.containsKey(fid);
    }

    /** Stores a new fid; EBADF if the number is taken (the caller still owns {@code f}'s reference). */
    void add(int fid, Fid f) throws FsException {
        if (fid == io.strata.ninep.wire.P9.NOFID || fids.putIfAbsent(fid, f) != null)
            throw new FsException(Errno.EBADF, "fid " + Integer.toUnsignedString(fid) + " already in use");
    }

    /** Removes and clunks a fid; its state is released now or when its last user is done. */
    Fid clunk(int fid) throws FsException {
        Fid f = fids.remove(fid);
        if (f == null) throw new FsException(Errno.EBADF, "unknown fid " + Integer.toUnsignedString(fid));
        if (f.clunk()) f.releaseIn(session);
        return f;
    }

    /** Clunks every fid (Tversion, disconnect). */
    void clear() {
        List<Integer> all = new ArrayList<>(fids.keySet());
        for (Integer k : all) {
            Fid f = fids.remove(k);
            if (f != null && f.clunk()) f.releaseIn(session);
        }
    }

    int size() {
        return fids.size();
    }
}
