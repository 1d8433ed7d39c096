package io.strata.core;

import java.util.Arrays;

/** A caller's supplementary groups. Implementations may resolve them on first use. */
public interface Groups {
    boolean contains(int gid);

    /** The groups as an array (resolving them if needed); may be empty, never null. */
    int[] toArray();

    Groups NONE = of();

    static Groups of(int... gids) {
        int[] sorted = gids.clone();
        Arrays.sort(sorted);
        return new Groups() {
            @Override public boolean contains(int gid) {
                return Arrays.binarySearch(sorted, gid) >= 0;
            }

            @Override public int[] toArray() {
                return sorted.clone();
            }

            @Override public String toString() {
                return Arrays.toString(sorted);
            }
        };
    }
}
