package io.strata.core.inode;

import io.strata.core.Errno;
import io.strata.core.FileSystem;
import io.strata.core.FsException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

/**
 * Inode ids to inodes for file systems that choose their own ids (memory, passthrough, stackers):
 * an array indexed by id (no boxed keys, 4-8 bytes per slot).
 *
 * <p>Ids are reused, so a million create/delete cycles do not grow the table; every reuse bumps the
 * slot's generation, which keeps (ino, generation) unique as the SPI demands. A freed id waits on
 * a LIFO free list that stores the generation its next user gets ({@code gen << 32 | id}). Id 1 is
 * {@link FileSystem#ROOT}; 0 is never used. File systems whose ids come from disk (ext2) keep their
 * own map of loaded inodes but use {@link InodeNode} for the counts.
 *
 * <p>Threads: {@link #get} is lock-free (volatile array + acquire reads); allocation and freeing
 * synchronize on this table, which is innermost in every lock order (nothing is called while it
 * is held except the factory, which must not take locks).
 */
public final class InodeTable<N extends InodeNode> {
    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(Object[].class);
    private static final int MAX_ID = Integer.MAX_VALUE - 8;

    private volatile Object[] slots = new Object[1024];
    private long[] free = new long[16]; // guarded by this
    private int freeCount;               // guarded by this
    private int nextId = (int) FileSystem.ROOT; // guarded by this
    private int live;                    // guarded by this

    /** The live inode with this id, or null. */
    @SuppressWarnings("unchecked")
    public N get(long ino) {
        Object[] s = slots;
        if (ino <= 0 || ino >= s.length) return null;
        return (N) SLOT.getAcquire(s, (int) ino);
    }

    /** The live inode with this id; ESTALE if there is none. */
    public N require(long ino) throws FsException {
        N n = get(ino);
        if (n == null) throw FsException.of(Errno.ESTALE);
        return n;
    }

    /** Builds the inode once its id and generation are known. */
    public interface Factory<T> {
        T create(int ino, int generation);
    }

    /** Allocates an id, builds the inode and publishes it; ENOSPC if ids are exhausted. */
    public synchronized <T extends N> T allocate(Factory<T> factory) throws FsException {
        int id, gen;
        if (freeCount > 0) {
            long v = free[--freeCount];
            id = (int) v;
            gen = (int) (v >>> 32);
        } else {
            if (nextId >= MAX_ID) throw FsException.of(Errno.ENOSPC);
            id = nextId++;
            gen = 0;
        }
        Object[] s = slots;
        if (id >= s.length) {
            s = Arrays.copyOf(s, (int) Math.min(MAX_ID, Math.max(id + 1L, s.length * 3L / 2)));
            slots = s;
        }
        T inode = factory.create(id, gen);
        SLOT.setRelease(s, id, inode);
        live++;
        return inode;
    }

    /** Removes the inode; its id comes back with the next generation. False if it was not live. */
    public synchronized boolean free(N inode) {
        Object[] s = slots;
        if (SLOT.getAcquire(s, inode.ino) != inode) return false;
        SLOT.setRelease(s, inode.ino, null);
        if (freeCount == free.length) free = Arrays.copyOf(free, freeCount * 2);
        free[freeCount++] = ((long) (inode.generation + 1) << 32) | inode.ino;
        live--;
        return true;
    }

    /** Frees the inode if it is {@link InodeNode#unused()}; the caller holds the inode's own lock. */
    public boolean freeIfUnused(N inode) {
        return inode.unused() && free(inode);
    }

    public synchronized int size() {
        return live;
    }
}
