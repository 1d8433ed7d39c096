package io.strata.ext2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The htree hashes against values printed by e2fsprogs 1.47's {@code debugfs -R "dx_hash -h ALG
 * [-s SEED] NAME"} (signed chars, as on x86). Unsigned variants and other seeds are covered by
 * the image tests in {@link HtreeTest}, where a wrong hash means names are not found.
 */
class DirHashTest {
    private static final int[] SEED = {0x67452301 ^ 0, 0, 0, 0};

    private static String hex(long h) {
        return String.format("0x%x/0x%x", DirHash.major(h), DirHash.minor(h));
    }

    private static long hash(int version, int[] seed, String name) {
        byte[] b = name.getBytes(StandardCharsets.UTF_8);
        return DirHash.hash(version, seed, b, 0, b.length);
    }

    /** debugfs parses the seed as a UUID: bytes in order, read as little-endian words. */
    private static int[] uuidSeed(String uuid) {
        String h = uuid.replace("-", "");
        int[] w = new int[4];
        for (int i = 0; i < 16; i++) {
            int b = Integer.parseInt(h.substring(2 * i, 2 * i + 2), 16);
            w[i / 4] |= b << (8 * (i % 4));
        }
        return w;
    }

    @Test
    void legacy() {
        assertEquals("0xe74b53e2/0x0", hex(hash(DirHash.LEGACY, null, "a")));
        assertEquals("0x32252546/0x0", hex(hash(DirHash.LEGACY, null, "hello")));
        assertEquals("0x38dda42/0x0", hex(hash(DirHash.LEGACY, null, "a_longer_name_that_spans_more_than_thirty_two_bytes_xyz")));
        assertEquals("0x70d7b7fc/0x0", hex(hash(DirHash.LEGACY, null, "été")));
    }

    @Test
    void halfMd4DefaultSeed() {
        assertEquals("0xd5fa7d7a/0xacb48187", hex(hash(DirHash.HALF_MD4, null, "a")));
        assertEquals("0x1746da32/0x420013b5", hex(hash(DirHash.HALF_MD4, null, "hello")));
        assertEquals("0x5cdb6b4c/0xb64d13d3", hex(hash(DirHash.HALF_MD4, null, "a_longer_name_that_spans_more_than_thirty_two_bytes_xyz")));
        assertEquals("0xa69a4d3a/0x22bac128", hex(hash(DirHash.HALF_MD4, null, "été")));
        assertEquals(hex(hash(DirHash.HALF_MD4, null, "hello")), hex(hash(DirHash.HALF_MD4, new int[4], "hello")),
                "an all-zero seed means the default seed");
    }

    @Test
    void halfMd4WithSeed() {
        int[] seed = uuidSeed("01234567-89ab-cdef-0123-456789abcdef");
        assertEquals("0x35dc0cc4/0x3f1dacef", hex(hash(DirHash.HALF_MD4, seed, "a")));
        assertEquals("0xa26e4a80/0x97e5b7f7", hex(hash(DirHash.HALF_MD4, seed, "hello")));
        assertEquals("0x8cdedabe/0x9e0d606d", hex(hash(DirHash.HALF_MD4, seed, "a_longer_name_that_spans_more_than_thirty_two_bytes_xyz")));
        assertEquals("0xff329f74/0x4e9c30cd", hex(hash(DirHash.HALF_MD4, seed, "été")));
    }

    @Test
    void tea() {
        assertEquals("0x6d0ea4c0/0xc18922df", hex(hash(DirHash.TEA, null, "a")));
        assertEquals("0x6f5bb1a8/0x231917c2", hex(hash(DirHash.TEA, null, "hello")));
        assertEquals("0x1a91ce4a/0xe1aa5f0c", hex(hash(DirHash.TEA, null, "a_longer_name_that_spans_more_than_thirty_two_bytes_xyz")));
        assertEquals("0x4d337a6/0x615a017", hex(hash(DirHash.TEA, null, "été")));
    }

    @Test
    void unsignedDiffersOnlyForHighBytes() {
        assertEquals(hash(DirHash.HALF_MD4, null, "plain"), hash(DirHash.HALF_MD4_UNSIGNED, null, "plain"));
        assertEquals(hash(DirHash.TEA, null, "plain"), hash(DirHash.TEA_UNSIGNED, null, "plain"));
        assertEquals(hash(DirHash.LEGACY, null, "plain"), hash(DirHash.LEGACY_UNSIGNED, null, "plain"));
        assertNotEquals(hash(DirHash.HALF_MD4, null, "été"), hash(DirHash.HALF_MD4_UNSIGNED, null, "été"));
        assertEquals(DirHash.HALF_MD4_UNSIGNED, DirHash.effectiveVersion(DirHash.HALF_MD4, true));
        assertEquals(DirHash.HALF_MD4, DirHash.effectiveVersion(DirHash.HALF_MD4, false));
    }

    @Test
    void majorNeverUsesBitZeroOrTheEndMarker() {
        for (int i = 0; i < 20000; i++) {
            long h = hash(DirHash.TEA, SEED, "n" + i);
            assertEquals(0, DirHash.major(h) & 1);
            assertNotEquals(0xfffffffe, DirHash.major(h));
        }
    }
}
