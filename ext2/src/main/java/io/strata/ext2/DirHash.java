package io.strata.ext2;

/**
 * The htree name hashes (legacy, half-MD4, TEA; each with signed or unsigned char handling), as
 * e2fsprogs' {@code ext2fs_dirhash} and the kernel's {@code ext4fs_dirhash} compute them. The hash
 * of a name decides which leaf block holds it, so these must match bit for bit or every lookup in a
 * directory written by mke2fs, e2fsck -D or the kernel misses.
 *
 * <p>A hash is a 64-bit pair: the major hash (what index entries order by; bit 0 always clear,
 * because bit 0 of an index entry marks a collision run continued from the previous block) and the
 * minor hash (a tie-breaker, used by readdir positions only).
 */
final class DirHash {
    static final int LEGACY = 0, HALF_MD4 = 1, TEA = 2, LEGACY_UNSIGNED = 3, HALF_MD4_UNSIGNED = 4, TEA_UNSIGNED = 5;
    private static final int[] DEFAULT_SEED = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};

    private DirHash() {}

    /** The version to use: the root's, shifted to the unsigned variant when the superblock says so. */
    static int effectiveVersion(int rootVersion, boolean unsignedChars) {
        return rootVersion <= TEA && unsignedChars ? rootVersion + 3 : rootVersion;
    }

    static boolean known(int version) {
        return version >= LEGACY && version <= TEA_UNSIGNED;
    }

    /** Major hash in the high 32 bits, minor in the low 32. {@code seed}: 4 words, all-zero means default. */
    static long hash(int version, int[] seed, byte[] name, int off, int len) {
        int[] buf = seed;
        if (seed == null || (seed[0] | seed[1] | seed[2] | seed[3]) == 0) buf = DEFAULT_SEED;
        buf = buf.clone();
        int major, minor = 0;
        switch (version) {
            case LEGACY -> major = legacy(name, off, len, true);
            case LEGACY_UNSIGNED -> major = legacy(name, off, len, false);
            case HALF_MD4, HALF_MD4_UNSIGNED -> {
                int[] in = new int[8];
                boolean signed = version == HALF_MD4;
                for (int p = off, left = len; left > 0; p += 32, left -= 32) {
                    toWords(name, p, left, in, 8, signed);
                    halfMd4(buf, in);
                }
                major = buf[1];
                minor = buf[2];
            }
            case TEA, TEA_UNSIGNED -> {
                int[] in = new int[4];
                boolean signed = version == TEA;
                for (int p = off, left = len; left > 0; p += 16, left -= 16) {
                    toWords(name, p, left, in, 4, signed);
                    tea(buf, in);
                }
                major = buf[0];
                minor = buf[1];
            }
            default -> throw new IllegalArgumentException("hash version " + version);
        }
        major &= ~1;
        if (major == 0xfffffffe) major = 0xfffffffc; // (EOF_32BIT - 1) << 1: the end marker stays unused
        return ((long) major << 32) | (minor & 0xffffffffL);
    }

    static int major(long h) {
        return (int) (h >>> 32);
    }

    static int minor(long h) {
        return (int) h;
    }

    private static int legacy(byte[] name, int off, int len, boolean signed) {
        int hash, h0 = 0x12a3fe2d, h1 = 0x37abe8f9;
        for (int i = 0; i < len; i++) {
            int c = signed ? name[off + i] : name[off + i] & 0xff;
            hash = h1 + (h0 ^ (c * 7152373));
            if ((hash & 0x80000000) != 0) hash -= 0x7fffffff;
            h1 = h0;
            h0 = hash;
        }
        return h0 << 1;
    }

    /** str2hashbuf: packs up to num*4 bytes into words, padding with a length-derived pattern. */
    private static void toWords(byte[] msg, int off, int len, int[] out, int num, boolean signed) {
        int pad = len | (len << 8);
        pad |= pad << 16;
        int val = pad;
        if (len > num * 4) len = num * 4;
        int w = 0;
        for (int i = 0; i < len; i++) {
            int c = signed ? msg[off + i] : msg[off + i] & 0xff;
            val = c + (val << 8);
            if (i % 4 == 3) {
                out[w++] = val;
                val = pad;
                num--;
            }
        }
        if (--num >= 0) out[w++] = val;
        while (--num >= 0) out[w++] = pad;
    }

    private static void tea(int[] buf, int[] in) {
        int sum = 0, b0 = buf[0], b1 = buf[1];
        int a = in[0], b = in[1], c = in[2], d = in[3];
        for (int n = 0; n < 16; n++) {
            sum += 0x9E3779B9;
            b0 += ((b1 << 4) + a) ^ (b1 + sum) ^ ((b1 >>> 5) + b);
            b1 += ((b0 << 4) + c) ^ (b0 + sum) ^ ((b0 >>> 5) + d);
        }
        buf[0] += b0;
        buf[1] += b1;
    }

    private static int f(int x, int y, int z) { return z ^ (x & (y ^ z)); }
    private static int g(int x, int y, int z) { return (x & y) + ((x ^ y) & z); }
    private static int h(int x, int y, int z) { return x ^ y ^ z; }

    private static final int K2 = 0x5A827999, K3 = 0x6ED9EBA1;

    private static void halfMd4(int[] buf, int[] in) {
        int a = buf[0], b = buf[1], c = buf[2], d = buf[3];
        a = Integer.rotateLeft(a + f(b, c, d) + in[0], 3);
        d = Integer.rotateLeft(d + f(a, b, c) + in[1], 7);
        c = Integer.rotateLeft(c + f(d, a, b) + in[2], 11);
        b = Integer.rotateLeft(b + f(c, d, a) + in[3], 19);
        a = Integer.rotateLeft(a + f(b, c, d) + in[4], 3);
        d = Integer.rotateLeft(d + f(a, b, c) + in[5], 7);
        c = Integer.rotateLeft(c + f(d, a, b) + in[6], 11);
        b = Integer.rotateLeft(b + f(c, d, a) + in[7], 19);

        a = Integer.rotateLeft(a + g(b, c, d) + in[1] + K2, 3);
        d = Integer.rotateLeft(d + g(a, b, c) + in[3] + K2, 5);
        c = Integer.rotateLeft(c + g(d, a, b) + in[5] + K2, 9);
        b = Integer.rotateLeft(b + g(c, d, a) + in[7] + K2, 13);
        a = Integer.rotateLeft(a + g(b, c, d) + in[0] + K2, 3);
        d = Integer.rotateLeft(d + g(a, b, c) + in[2] + K2, 5);
        c = Integer.rotateLeft(c + g(d, a, b) + in[4] + K2, 9);
        b = Integer.rotateLeft(b + g(c, d, a) + in[6] + K2, 13);

        a = Integer.rotateLeft(a + h(b, c, d) + in[3] + K3, 3);
        d = Integer.rotateLeft(d + h(a, b, c) + in[7] + K3, 9);
        c = Integer.rotateLeft(c + h(d, a, b) + in[2] + K3, 11);
        b = Integer.rotateLeft(b + h(c, d, a) + in[6] + K3, 15);
        a = Integer.rotateLeft(a + h(b, c, d) + in[1] + K3, 3);
        d = Integer.rotateLeft(d + h(a, b, c) + in[5] + K3, 9);
        c = Integer.rotateLeft(c + h(d, a, b) + in[0] + K3, 11);
        b = Integer.rotateLeft(b + h(c, d, a) + in[4] + K3, 15);

        buf[0] += a;
        buf[1] += b;
        buf[2] += c;
        buf[3] += d;
    }
}
