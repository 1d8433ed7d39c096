package io.strata.core;

import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ObjLongConsumer;

/**
 * How many lookup references one holder (a {@link Session}) has on each inode. Updates are atomic
 * per inode; removal is clamped to what is held, so a confused or hostile frontend can never
 * forget references another session holds.
 */
public final class RefLedger {
    private final ConcurrentHashMap<Long, Long> held = new ConcurrentHashMap<>();

    public void add(long ino, long n) {
        if (n > 0) held.merge(ino, n, Long::sum);
    }

    /** Removes up to {@code n} references of {@code ino}; returns how many were held and removed. */
    public long remove(long ino, long n) {
        if (n <= 0) return 0;
        long[] removed = new long[1];
        held.computeIfPresent(ino, (k, v) -> {
            long r = Math.min(v, n);
            removed[0] = r;
            return v - r == 0 ? null : v - r;
        });
        return removed[0];
    }

    public long held(long ino) {
        return held.getOrDefault(ino, 0L);
    }

    /** Number of inodes with references. */
    public int size() {
        return held.size();
    }

    /** Removes every entry and hands each (ino, count) to {@code action}, exactly once. */
    public void drain(ObjLongConsumer<Long> action) {
        for (Long ino : held.keySet()) {
            Long n = held.remove(ino);
            if (n != null && n > 0) action.accept(ino, n);
        }
    }
}
