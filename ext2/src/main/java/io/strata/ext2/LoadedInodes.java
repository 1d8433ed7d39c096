package io.strata.ext2;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * The loaded inodes by inode number: an open-addressing table (linear probing) of the inode
 * objects themselves, keyed by their {@code number}, so an entry costs one reference slot (8 bytes
 * at the 50% load this keeps) instead of a HashMap node and a boxed Integer (~50 bytes). Not thread
 * safe: guarded by the {@link InodeTable} monitor.
 */
final class LoadedInodes {
    private Ext2Inode[] slots = new Ext2Inode[64];
    private int size;

    private static int hash(int number) {
        return number * 0x9E3779B9; // Fibonacci hashing: neighbouring numbers spread out
    }

    private int indexOf(int number) {
        int mask = slots.length - 1;
        for (int i = hash(number) >>> Integer.numberOfLeadingZeros(mask) & mask; ; i = (i + 1) & mask) {
            Ext2Inode x = slots[i];
            if (x == null || x.number == number) return i;
        }
    }

    Ext2Inode get(int number) {
        return slots[indexOf(number)];
    }

    /** Puts {@code in}, replacing the inode of the same number if any. */
    void put(Ext2Inode in) {
        int i = indexOf(in.number);
        if (slots[i] == null) {
            if (++size * 2 > slots.length) {
                grow();
                i = indexOf(in.number);
            }
        }
        slots[i] = in;
    }

    /** Removes inode {@code number} (backward-shift deletion: no tombstones). */
    void remove(int number) {
        int mask = slots.length - 1;
        int i = indexOf(number);
        if (slots[i] == null) return;
        slots[i] = null;
        size--;
        for (int j = (i + 1) & mask; slots[j] != null; j = (j + 1) & mask) {
            Ext2Inode x = slots[j];
            int home = hash(x.number) >>> Integer.numberOfLeadingZeros(mask) & mask;
            // x may move to the hole at i if its home is not in the cyclic range (i, j]
            if (i <= j ? (home <= i || home > j) : (home <= i && home > j)) {
                slots[i] = x;
                slots[j] = null;
                i = j;
            }
        }
        if (slots.length > 64 && size * 8 < slots.length) shrink();
    }

    int size() {
        return size;
    }

    List<Ext2Inode> matching(Predicate<Ext2Inode> p) {
        List<Ext2Inode> out = new ArrayList<>();
        for (Ext2Inode x : slots) if (x != null && p.test(x)) out.add(x);
        return out;
    }

    private void grow() {
        rehash(slots.length * 2);
    }

    private void shrink() {
        rehash(slots.length / 2);
    }

    private void rehash(int capacity) {
        Ext2Inode[] old = slots;
        slots = new Ext2Inode[capacity];
        for (Ext2Inode x : old) if (x != null) slots[indexOf(x.number)] = x;
    }
}
