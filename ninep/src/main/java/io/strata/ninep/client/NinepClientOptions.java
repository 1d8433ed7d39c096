package io.strata.ninep.client;

import java.time.Duration;
import java.util.Map;

/**
 * Mount options of the 9P client backend, parsed from {@code -o} style key/value pairs.
 *
 * @param cache   how far the client trusts its caches (gVisor's interop modes)
 * @param aname   the tree to attach (Tattach aname); empty = the server's default export
 * @param msize   the largest message the client proposes in Tversion (the server may lower it)
 * @param uname   the user name sent in Tattach
 * @param timeout how long any single RPC waits for its reply before the call fails with EIO
 */
public record NinepClientOptions(CacheMode cache, String aname, int msize, String uname, Duration timeout) {

    /** gVisor's interop modes (pkg/sentry/fsimpl/gofer InteropMode). */
    public enum CacheMode {
        /** Only this client changes the tree: names, attributes and data cached; client timestamps authoritative. */
        EXCLUSIVE,
        /** Same caches as exclusive, but every write reaches the server before the call returns. */
        WRITETHROUGH,
        /** The server is authoritative: every walk revalidates (fused Twalkgetattr where negotiated). */
        SHARED
    }

    public static final int MIN_MSIZE = 4096;
    public static final int MAX_MSIZE = 16 << 20;

    public NinepClientOptions {
        if (cache == null || aname == null || uname == null || timeout == null)
            throw new IllegalArgumentException("9p options: null field");
        if (msize < MIN_MSIZE || msize > MAX_MSIZE)
            throw new IllegalArgumentException("9p option msize=" + msize + ": must be between " + MIN_MSIZE + " and " + MAX_MSIZE);
        if (timeout.isNegative() || timeout.isZero())
            throw new IllegalArgumentException("9p option timeout: must be positive");
    }

    public static NinepClientOptions defaults() {
        return new NinepClientOptions(CacheMode.EXCLUSIVE, "", 512 * 1024, "root", Duration.ofSeconds(30));
    }

    /**
     * Parses {@code cache=exclusive|writethrough|shared, aname=, msize=, uname=, timeout=SECONDS}.
     * Unknown keys and bad values are refused with a message naming the option.
     */
    public static NinepClientOptions parse(Map<String, String> options) {
        NinepClientOptions o = defaults();
        CacheMode cache = o.cache();
        String aname = o.aname(), uname = o.uname();
        int msize = o.msize();
        Duration timeout = o.timeout();
        for (Map.Entry<String, String> e : options.entrySet()) {
            String v = e.getValue() == null ? "" : e.getValue();
            switch (e.getKey()) {
                case "cache" -> cache = switch (v) {
                    case "exclusive" -> CacheMode.EXCLUSIVE;
                    case "writethrough" -> CacheMode.WRITETHROUGH;
                    case "shared" -> CacheMode.SHARED;
                    default -> throw new IllegalArgumentException(
                            "9p option cache=" + v + ": expected exclusive, writethrough or shared");
                };
                case "aname" -> aname = v;
                case "uname" -> {
                    if (v.isEmpty()) throw new IllegalArgumentException("9p option uname: empty");
                    uname = v;
                }
                case "msize" -> msize = parseInt("msize", v);
                case "timeout" -> {
                    int s = parseInt("timeout", v);
                    if (s <= 0) throw new IllegalArgumentException("9p option timeout=" + v + ": must be positive seconds");
                    timeout = Duration.ofSeconds(s);
                }
                default -> throw new IllegalArgumentException("9p: unknown option " + e.getKey());
            }
        }
        return new NinepClientOptions(cache, aname, msize, uname, timeout);
    }

    private static int parseInt(String key, String v) {
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException ex) {
            throw new IllegalArgumentException("9p option " + key + "=" + v + ": not a number");
        }
    }
}
