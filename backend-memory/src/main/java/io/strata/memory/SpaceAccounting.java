package io.strata.memory;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The size and inode limits, as statfs reports them and as writes, fallocate and creates hit them.
 *
 * <p>Bytes used = data chunk bytes actually allocated + {@link #INODE_BYTES} per inode + symlink
 * targets + xattr names and values. Reservation is a lock-free compare-and-set, so a caller either
 * gets all it asked for or nothing: nothing is half-charged and the counters never exceed the limit.
 */
final class SpaceAccounting {
    /**
     * Charge per inode for metadata (inode object, table slot, directory entry): what an empty file
     * really costs on the heap (MemoryFootprintTest measures ~130 B), so the size limit bounds the
     * heap and a million files fit where the heap holds them (-Xmx256m: default size 205 MiB).
     */
    static final long INODE_BYTES = 160;
    static final int BLOCK = 4096;

    final long limitBytes;
    final long maxInodes;
    private final AtomicLong usedBytes = new AtomicLong();
    private final AtomicLong inodes = new AtomicLong();

    SpaceAccounting(long limitBytes, long maxInodes) {
        this.limitBytes = limitBytes;
        this.maxInodes = maxInodes;
    }

    boolean tryReserve(long bytes) {
        if (bytes <= 0) {
            if (bytes < 0) release(-bytes);
            return true;
        }
        for (;;) {
            long cur = usedBytes.get();
            long next = cur + bytes;
            if (next > limitBytes || next < 0) return false;
            if (usedBytes.compareAndSet(cur, next)) return true;
        }
    }

    void release(long bytes) {
        if (bytes != 0) usedBytes.addAndGet(-bytes);
    }

    /** One inode plus its fixed charge and {@code extraBytes} (e.g. a symlink target), or nothing. */
    boolean tryAllocInode(long extraBytes) {
        for (;;) {
            long cur = inodes.get();
            if (cur >= maxInodes) return false;
            if (inodes.compareAndSet(cur, cur + 1)) break;
        }
        if (tryReserve(INODE_BYTES + extraBytes)) return true;
        inodes.decrementAndGet();
        return false;
    }

    void freeInode(long extraBytes) {
        inodes.decrementAndGet();
        release(INODE_BYTES + extraBytes);
    }

    long usedBytes() {
        return usedBytes.get();
    }

    long inodes() {
        return inodes.get();
    }
}
