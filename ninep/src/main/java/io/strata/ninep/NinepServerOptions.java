package io.strata.ninep;

import java.util.Set;

/**
 * How a {@link NinepServer} treats its clients.
 *
 * @param squashRoot   map an attach as uid 0 to {@code squashUid:squashGid} (default on)
 * @param squashUid    the uid root is squashed to (default 65534, nobody)
 * @param squashGid    the gid root is squashed to (default 65534, nogroup)
 * @param allowedUids  uids (as the client names them, before squashing) that may attach; empty: all
 * @param msizeCap     the largest msize the server agrees to (at most {@link #MAX_MSIZE})
 * @param maxInFlight  requests one connection may have outstanding before the server stops reading
 *                     from it (bounds memory: at most this many msize buffers per connection)
 * @param identities   uid -> primary gid and supplementary groups
 */
public record NinepServerOptions(boolean squashRoot, int squashUid, int squashGid, Set<Integer> allowedUids,
                                 int msizeCap, int maxInFlight, Identities identities) {
    /** 1 MiB of payload plus the largest I/O header. */
    public static final int MAX_MSIZE = (1 << 20) + 24;
    /** Smaller is refused: every reply we build must fit. */
    public static final int MIN_MSIZE = 4096;

    public NinepServerOptions {
        allowedUids = Set.copyOf(allowedUids);
        if (msizeCap < MIN_MSIZE || msizeCap > MAX_MSIZE)
            throw new IllegalArgumentException("msize cap must be in [" + MIN_MSIZE + ", " + MAX_MSIZE + "]");
        if (maxInFlight < 1) throw new IllegalArgumentException("maxInFlight must be positive");
        if (identities == null) throw new IllegalArgumentException("identities");
    }

    /** Root squashed to 65534:65534, everyone allowed, msize up to 1 MiB + header, host identities. */
    public static NinepServerOptions defaults() {
        return new NinepServerOptions(true, 65534, 65534, Set.of(), MAX_MSIZE, 32, Identities.host());
    }

    public NinepServerOptions withSquash(boolean on, int uid, int gid) {
        return new NinepServerOptions(on, uid, gid, allowedUids, msizeCap, maxInFlight, identities);
    }

    public NinepServerOptions withAllowedUids(Set<Integer> uids) {
        return new NinepServerOptions(squashRoot, squashUid, squashGid, uids, msizeCap, maxInFlight, identities);
    }

    public NinepServerOptions withMsizeCap(int cap) {
        return new NinepServerOptions(squashRoot, squashUid, squashGid, allowedUids, cap, maxInFlight, identities);
    }

    public NinepServerOptions withMaxInFlight(int n) {
        return new NinepServerOptions(squashRoot, squashUid, squashGid, allowedUids, msizeCap, n, identities);
    }

    public NinepServerOptions withIdentities(Identities ids) {
        return new NinepServerOptions(squashRoot, squashUid, squashGid, allowedUids, msizeCap, maxInFlight, ids);
    }
}
