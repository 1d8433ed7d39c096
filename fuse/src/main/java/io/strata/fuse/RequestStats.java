package io.strata.fuse;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Requests per opcode with a latency histogram each, recorded for every request a
 * {@link Dispatcher} serves (so for every transport that calls it), always on. Recording allocates
 * nothing and takes two clock reads (by the caller) plus three atomic adds, and a CAS only when a
 * new maximum is seen.
 *
 * <p>The histogram is log-linear: values below 16 ns have a bucket each; above, every power of two
 * is split into 16 equal buckets, so a percentile is reported with at most 1/16 (6.25%) relative
 * error. Values of 2^40 ns (18 minutes) and more share the last bucket; the exact maximum is kept
 * apart. Lock-free: readers see each counter atomically, a table taken while requests run may be
 * off by the requests in flight.
 */
public final class RequestStats {
    static final int OPCODES = 64;
    private static final int SUB_BITS = 4, SUB = 1 << SUB_BITS, MAX_EXP = 40;
    /** Buckets per opcode: 16 exact ones, then 16 for each exponent 4..39. */
    static final int BUCKETS = SUB + (MAX_EXP - SUB_BITS) * SUB;
    private static final int COUNT = 0, ERRORS = 1, SUM = 2, MAX = 3, FIELDS = 4;

    private final AtomicLongArray buckets = new AtomicLongArray(OPCODES * BUCKETS);
    private final AtomicLongArray totals = new AtomicLongArray(OPCODES * FIELDS);
    private final long started = System.nanoTime();

    /** Records one request of {@code opcode} that took {@code nanos}; {@code failed}: it got an errno. */
    public void record(int opcode, long nanos, boolean failed) {
        if (opcode < 0 || opcode >= OPCODES) opcode = 0; // unknown opcodes count as OP0
        long v = Math.max(0, nanos);
        buckets.getAndIncrement(opcode * BUCKETS + bucket(v));
        int t = opcode * FIELDS;
        totals.getAndIncrement(t + COUNT);
        if (failed) totals.getAndIncrement(t + ERRORS);
        totals.getAndAdd(t + SUM, v);
        long max = totals.get(t + MAX);
        while (v > max && !totals.compareAndSet(t + MAX, max, v)) max = totals.get(t + MAX);
    }

    /** The bucket holding {@code v} (>= 0). */
    static int bucket(long v) {
        if (v < SUB) return (int) v;
        int exp = 63 - Long.numberOfLeadingZeros(v);
        if (exp >= MAX_EXP) return BUCKETS - 1;
        int sub = (int) (v >>> (exp - SUB_BITS)) & (SUB - 1);
        return SUB + (exp - SUB_BITS) * SUB + sub;
    }

    /** The largest value bucket {@code b} holds. */
    static long upperBound(int b) {
        if (b < SUB) return b;
        int exp = (b - SUB) / SUB + SUB_BITS, sub = (b - SUB) % SUB;
        long width = 1L << (exp - SUB_BITS);
        return ((long) (SUB + sub) << (exp - SUB_BITS)) + width - 1;
    }

    /** One opcode's figures; latencies in nanoseconds. */
    public record Row(int opcode, long count, long errors, long totalNs, long p50, long p90, long p99, long max) {
        public String name() {
            return Opcode.name(opcode);
        }
    }

    /** Requests of {@code opcode} so far. */
    public long count(int opcode) {
        return totals.get(opcode * FIELDS + COUNT);
    }

    /** The opcode's figures, or null if it was never seen. */
    public Row row(int opcode) {
        int t = opcode * FIELDS;
        long count = totals.get(t + COUNT);
        if (count == 0) return null;
        long max = totals.get(t + MAX);
        long[] q = percentiles(opcode, max, 0.50, 0.90, 0.99);
        return new Row(opcode, count, totals.get(t + ERRORS), totals.get(t + SUM), q[0], q[1], q[2], max);
    }

    /**
     * The value at or below which a fraction {@code p} of the recorded requests lie, taken as the
     * upper bound of the bucket that holds the ceil(p*n)-th smallest value (never above the maximum).
     */
    long[] percentiles(int opcode, long max, double... ps) {
        int base = opcode * BUCKETS;
        long n = 0;
        long[] counts = new long[BUCKETS];
        for (int b = 0; b < BUCKETS; b++) n += counts[b] = buckets.get(base + b);
        long[] out = new long[ps.length];
        for (int i = 0; i < ps.length; i++) {
            long rank = Math.max(1, (long) Math.ceil(ps[i] * n));
            long seen = 0;
            for (int b = 0; b < BUCKETS; b++) {
                seen += counts[b];
                if (seen >= rank) {
                    out[i] = Math.min(upperBound(b), max);
                    break;
                }
            }
        }
        return out;
    }

    /** Every opcode seen, most frequent first. */
    public List<Row> rows() {
        List<Row> rows = new ArrayList<>();
        for (int op = 0; op < OPCODES; op++) {
            Row r = row(op);
            if (r != null) rows.add(r);
        }
        rows.sort((a, b) -> Long.compare(b.count(), a.count()));
        return rows;
    }

    /** The table written at unmount and on SIGUSR1: one line per opcode, latencies in µs. */
    public String table(String title) {
        List<Row> rows = rows();
        long total = 0, errors = 0;
        for (Row r : rows) {
            total += r.count();
            errors += r.errors();
        }
        double up = (System.nanoTime() - started) / 1e9;
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "request statistics for %s: %d requests (%d errors) in %.1f s%n",
                title, total, errors, up));
        b.append(String.format(Locale.ROOT, "%-16s %10s %8s %9s %9s %9s %9s %10s%n",
                "opcode", "count", "errors", "mean_us", "p50_us", "p90_us", "p99_us", "max_us"));
        for (Row r : rows) {
            b.append(String.format(Locale.ROOT, "%-16s %10d %8d %9.1f %9.1f %9.1f %9.1f %10.1f%n", r.name(),
                    r.count(), r.errors(), r.totalNs() / 1e3 / r.count(), r.p50() / 1e3, r.p90() / 1e3,
                    r.p99() / 1e3, r.max() / 1e3));
        }
        return b.toString();
    }
}
