package io.strata.verity;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** The tree cache: bounded by bytes, least recently used out, change notices drop an inode's trees. */
class VerifiedCacheTest {
    private static VerifiedFile file(long ino, int size) throws Exception {
        byte[] data = new byte[size];
        data[0] = (byte) ino;
        return new VerifiedFile(ino, Digests.tree(VerityParams.defaults(), data));
    }

    @Test
    void evictsLeastRecentlyUsedBeyondBudget() throws Exception {
        VerifiedFile a = file(1, 600_000), b = file(2, 600_000), c = file(3, 600_000);
        VerifiedCache cache = new VerifiedCache(a.footprint() * 2 + 10);
        cache.put(1, a);
        cache.put(2, b);
        assertSame(a, cache.get(1, a.descriptor())); // a is now the most recent
        cache.put(3, c);
        assertNull(cache.get(2, b.descriptor()), "b was least recently used");
        assertSame(a, cache.get(1, a.descriptor()));
        assertSame(c, cache.get(3, c.descriptor()));
        assertNull(cache.get(1, c.descriptor()), "keyed by descriptor too");
    }

    @Test
    void changeNoticeDropsThatInodeOnly() throws Exception {
        VerifiedFile a = file(1, 10_000), b = file(2, 10_000), c = file(3, 10_000);
        VerifiedCache cache = new VerifiedCache(1 << 20);
        cache.put(1, a);
        cache.put(2, b);
        cache.put(3, c);
        cache.changed(2);
        cache.changed(1);
        assertNull(cache.get(2, b.descriptor()));
        assertNull(cache.get(1, a.descriptor()));
        assertSame(c, cache.get(3, c.descriptor()));
    }
}
