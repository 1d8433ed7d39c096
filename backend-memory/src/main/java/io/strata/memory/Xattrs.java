package io.strata.memory;

import io.strata.core.XattrName;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Extended attributes of one inode: a small array map (inodes rarely carry more than a handful, so
 * a linear scan beats a HashMap in both time and memory). Allocated on the first setxattr only.
 * Guarded by the owning inode's lock. Names and values are bytes; values are stored and returned as private copies.
 */
final class Xattrs {
    private XattrName[] names = new XattrName[2];
    private byte[][] values = new byte[2][];
    private int count;

    private int indexOf(XattrName name) {
        for (int i = 0; i < count; i++) if (names[i].equals(name)) return i;
        return -1;
    }

    byte[] get(XattrName name) {
        int i = indexOf(name);
        return i < 0 ? null : values[i];
    }

    /** Sets or replaces; returns the previous value or null. Caller checked flags and space. */
    byte[] put(XattrName name, byte[] value) {
        int i = indexOf(name);
        if (i >= 0) {
            byte[] old = values[i];
            values[i] = value;
            return old;
        }
        if (count == names.length) {
            names = Arrays.copyOf(names, count * 2);
            values = Arrays.copyOf(values, count * 2);
        }
        names[count] = name;
        values[count++] = value;
        return null;
    }

    /** Removes; returns the removed value or null. */
    byte[] remove(XattrName name) {
        int i = indexOf(name);
        if (i < 0) return null;
        byte[] old = values[i];
        count--;
        names[i] = names[count];
        values[i] = values[count];
        names[count] = null;
        values[count] = null;
        return old;
    }

    List<XattrName> names() {
        List<XattrName> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) out.add(names[i]);
        return out;
    }

    boolean isEmpty() {
        return count == 0;
    }

    /** Bytes charged against the size limit for an attribute. */
    static long cost(XattrName name, byte[] value) {
        return name.length() + value.length;
    }

    long totalCost() {
        long sum = 0;
        for (int i = 0; i < count; i++) sum += cost(names[i], values[i]);
        return sum;
    }
}
