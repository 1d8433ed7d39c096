package io.strata.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A reusable native iovec array. One per worker thread: filled with {@link #set} before each
 * readv/writev, so replies are gathered from their parts without copying or allocating.
 */
public final class IoVec {
    private final MemorySegment iov;
    private final int capacity;
    private int count;

    public IoVec(Arena arena, int capacity) {
        this.iov = arena.allocate(16L * capacity, 8);
        this.capacity = capacity;
    }

    public IoVec clear() {
        count = 0;
        return this;
    }

    /** Appends a part; empty parts are skipped. */
    public IoVec add(MemorySegment base, long len) {
        if (len == 0) return this;
        if (count == capacity) throw new IllegalStateException("iovec full");
        iov.set(ADDRESS, 16L * count, base);
        iov.set(JAVA_LONG, 16L * count + 8, len);
        count++;
        return this;
    }

    int count() {
        return count;
    }

    MemorySegment segment() {
        return iov;
    }
}
