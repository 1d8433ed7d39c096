package io.strata.ext2;

/**
 * Bit operations on a block or inode bitmap held in a {@link BufferCache.Buffer}. Bit i is bit
 * (i % 8) of byte i / 8, as on disk. Searches are bounded by the group's real size so padding bits
 * of a short last group are never handed out.
 */
final class Bitmap {
    private Bitmap() {}

    static boolean test(byte[] map, int bit) {
        return (map[bit >>> 3] & (1 << (bit & 7))) != 0;
    }

    static void set(byte[] map, int bit) {
        map[bit >>> 3] |= (byte) (1 << (bit & 7));
    }

    static void clear(byte[] map, int bit) {
        map[bit >>> 3] &= (byte) ~(1 << (bit & 7));
    }

    /** First clear bit in [from, limit), wrapping to [0, from); -1 if none. */
    static int findClear(byte[] map, int from, int limit) {
        int r = scan(map, from, limit);
        if (r < 0 && from > 0) r = scan(map, 0, Math.min(from, limit));
        return r;
    }

    private static int scan(byte[] map, int from, int limit) {
        int i = from;
        while (i < limit) {
            if ((i & 7) == 0 && (map[i >>> 3] & 0xff) == 0xff) { // skip full bytes fast
                i += 8;
                continue;
            }
            if (!test(map, i)) return i;
            i++;
        }
        return -1;
    }

    /** Length of the run of clear bits starting at {@code bit}, at most {@code max}. */
    static int clearRun(byte[] map, int bit, int limit, int max) {
        int n = 0;
        while (bit + n < limit && n < max && !test(map, bit + n)) n++;
        return n;
    }
}
