package io.strata.ext2;

import java.util.concurrent.locks.ReentrantLock;

/**
 * One allocator lock per block group (as the kernel's per-group spinlocks in balloc.c/ialloc.c):
 * a group's bitmaps and its free-block, free-inode and directory counts change only under its
 * lock, so allocations in different groups (files in different directories land in different
 * groups) do not wait for each other. An allocator holds at most one group lock at a time; the
 * flush takes all of them, in ascending order, to snapshot bitmaps and counts consistently. Totals
 * summed without the locks are estimates (good enough for choosing a group and for the reserve
 * check; the exact answer is the bitmap under the group's lock).
 */
final class GroupLocks {
    private final ReentrantLock[] locks;

    GroupLocks(int groups) {
        locks = new ReentrantLock[groups];
        for (int g = 0; g < groups; g++) locks[g] = new ReentrantLock();
    }

    void lock(int g) {
        locks[g].lock();
    }

    void unlock(int g) {
        locks[g].unlock();
    }

    void lockAll() {
        for (ReentrantLock l : locks) l.lock();
    }

    void unlockAll() {
        for (int g = locks.length - 1; g >= 0; g--) locks[g].unlock();
    }
}
