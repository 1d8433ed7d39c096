package io.strata.memory;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

/**
 * Inode ids to inodes: an array indexed by id (no boxed keys, 4 bytes per slot).
 *
 * <p>Ids are reused, so a million create/delete cycles do not grow the table; every reuse bumps the
 * slot's generation, which keeps (ino, generation) unique as the SPI demands. A freed id waits on
 * a LIFO free list that stores the generation its next user gets ({@code gen << 32 | id}), so no
 * per-slot generation array is needed. Id 1 is the root; 0 is never used.
 *
 * <p>Threads: {@link #get} is lock-free (volatile array reference + acquire element reads);
 * allocation and freeing synchronize on this table, and are innermost in the lock order (nothing is
 * called while holding it).
 */
final class InodeTable {
    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(MemInode[].class);
    private static final int MAX_ID = Integer.MAX_VALUE - 8;

    private volatile MemInode[] slots = new MemInode[1024];
    private long[] free = new long[16]; // guarded by this
    private int freeCount;               // guarded by this
    private int nextId = (int) io.strata.core.FileSystem.ROOT; // guarded by this

    MemInode get(long ino) {
        MemInode[] s = slots;
        if (ino <= 0 || ino >= s.length) return null;
        return (MemInode) SLOT.getAcquire(s, (int) ino);
    }

    /** Something that builds the inode once its id and generation are known. */
    interface Factory<T extends MemInode> {
        T create(int ino, int generation);
    }

    /** Allocates an id, builds the inode and publishes it; null if ids are exhausted. */
    synchronized <T extends MemInode> T allocate(Factory<T> factory) {
        int id, gen;
        if (freeCount > 0) {
            long v = free[--freeCount];
            id = (int) v;
            gen = (int) (v >>> 32);
        } else {
            if (nextId >= MAX_ID) return null;
            id = nextId++;
            gen = 0;
        }
        MemInode[] s = slots;
        if (id >= s.length) {
            s = Arrays.copyOf(s, (int) Math.min(MAX_ID, Math.max(id + 1L, s.length * 3L / 2)));
            slots = s;
        }
        T inode = factory.create(id, gen);
        SLOT.setRelease(s, id, inode);
        return inode;
    }

    /** Removes the inode; its id comes back with the next generation. */
    synchronized void free(MemInode inode) {
        MemInode[] s = slots;
        if (SLOT.getAcquire(s, inode.ino) != inode) return;
        SLOT.setRelease(s, inode.ino, (MemInode) null);
        if (freeCount == free.length) free = Arrays.copyOf(free, freeCount * 2);
        free[freeCount++] = ((long) (inode.generation + 1) << 32) | inode.ino;
    }
}
