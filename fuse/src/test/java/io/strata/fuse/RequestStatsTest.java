package io.strata.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/** The log-linear histogram: bucket edges, percentiles against known distributions, concurrency. */
class RequestStatsTest {
    @Test
    void everyValueLiesInItsBucketAndBucketsTileTheRange() {
        long prevUpper = -1;
        for (int b = 0; b < RequestStats.BUCKETS; b++) {
            long up = RequestStats.upperBound(b);
            assertTrue(up > prevUpper, "bucket " + b);
            assertEquals(b, RequestStats.bucket(prevUpper + 1), "lower edge of bucket " + b);
            assertEquals(b, RequestStats.bucket(up), "upper edge of bucket " + b);
            // relative width at most 1/16 above the exact range
            if (b >= 16) assertTrue((up - prevUpper) * 16 <= prevUpper + 1, "bucket " + b + " too wide");
            prevUpper = up;
        }
        assertEquals((1L << 40) - 1, prevUpper);
        assertEquals(RequestStats.BUCKETS - 1, RequestStats.bucket(Long.MAX_VALUE));
        assertEquals(0, RequestStats.bucket(0));
    }

    @Test
    void uniformDistributionPercentiles() {
        RequestStats s = new RequestStats();
        for (long v = 1; v <= 100_000; v++) s.record(Opcode.LOOKUP, v * 1000, false); // 1 µs .. 100 ms
        RequestStats.Row r = s.row(Opcode.LOOKUP);
        assertEquals(100_000, r.count());
        assertEquals(0, r.errors());
        assertEquals(100_000_000L, r.max());
        near(50_000_000, r.p50());
        near(90_000_000, r.p90());
        near(99_000_000, r.p99());
        assertEquals(100_000L * 100_001 / 2 * 1000, r.totalNs());
    }

    @Test
    void exponentialAndBimodalDistributionsAgainstExactPercentiles() {
        Random rnd = new Random(42);
        RequestStats s = new RequestStats();
        long[] exp = new long[50_000], bi = new long[50_000];
        for (int i = 0; i < exp.length; i++) {
            exp[i] = (long) (-Math.log(1 - rnd.nextDouble()) * 30_000); // mean 30 µs
            // 95% fast (~10 µs), 5% slow (~5 ms): p99 must land in the slow mode
            bi[i] = rnd.nextInt(100) < 95 ? 10_000 + rnd.nextInt(1000) : 5_000_000 + rnd.nextInt(100_000);
            s.record(Opcode.GETATTR, exp[i], false);
            s.record(Opcode.WRITE, bi[i], i % 10 == 0);
        }
        check(s.row(Opcode.GETATTR), exp);
        RequestStats.Row w = s.row(Opcode.WRITE);
        check(w, bi);
        assertEquals(5_000, w.errors());
        assertTrue(w.p90() < 20_000 && w.p99() > 5_000_000, w.toString());
    }

    @Test
    void smallValuesAreExactAndUnseenOpcodesHaveNoRow() {
        RequestStats s = new RequestStats();
        for (int i = 0; i < 10; i++) s.record(Opcode.FORGET, i, false);
        RequestStats.Row r = s.row(Opcode.FORGET);
        assertEquals(4, r.p50()); // the 5th smallest of 0..9
        assertEquals(8, r.p90());
        assertEquals(9, r.p99());
        assertNull(s.row(Opcode.READ));
        s.record(999, 5, true); // an opcode out of range is counted, not thrown
        assertEquals(1, s.count(0));
    }

    @Test
    void tableListsOpcodesMostFrequentFirst() {
        RequestStats s = new RequestStats();
        for (int i = 0; i < 3; i++) s.record(Opcode.LOOKUP, 20_000, false);
        s.record(Opcode.OPENDIR, 5_000, true);
        String t = s.table("/mnt");
        String[] lines = t.split("\n");
        assertTrue(lines[0].contains("4 requests (1 errors)"), t);
        assertTrue(lines[2].startsWith("LOOKUP") && lines[2].contains(" 3 "), t);
        assertTrue(lines[3].startsWith("OPENDIR") && lines[3].contains(" 1 "), t);
    }

    @Test
    void concurrentRecordersLoseNothing() throws Exception {
        RequestStats s = new RequestStats();
        int threads = 4, each = 200_000;
        CountDownLatch go = new CountDownLatch(1);
        Thread[] ts = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            int id = t;
            ts[t] = Thread.ofPlatform().start(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < each; i++) s.record(Opcode.READ, 1000 + id * 1000 + (i & 1023), false);
            });
        }
        go.countDown();
        for (Thread t : ts) t.join();
        RequestStats.Row r = s.row(Opcode.READ);
        assertEquals((long) threads * each, r.count());
        assertEquals(1000 + 3 * 1000 + 1023, r.max());
    }

    private static void check(RequestStats.Row r, long[] values) {
        long[] v = values.clone();
        Arrays.sort(v);
        near(exact(v, 0.50), r.p50());
        near(exact(v, 0.90), r.p90());
        near(exact(v, 0.99), r.p99());
        assertEquals(v[v.length - 1], r.max());
    }

    private static long exact(long[] sorted, double p) {
        return sorted[(int) Math.ceil(p * sorted.length) - 1];
    }

    /** The histogram reports the bucket's upper edge: never below the truth, at most 1/16 above. */
    private static void near(long truth, long got) {
        assertTrue(got >= truth && got <= truth + truth / 16 + 1, "expected ~" + truth + ", got " + got);
    }
}
