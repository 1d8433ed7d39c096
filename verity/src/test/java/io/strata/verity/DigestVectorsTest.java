package io.strata.verity;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The fsverity-utils 1.5 vectors from the reference sheet, and parameter/descriptor validation. */
class DigestVectorsTest {
    private static final VerityParams DEF = VerityParams.defaults();

    @Test
    void referenceVectors() throws Exception {
        assertEquals("sha256:3d248ca542a24fc62d1c43b916eae5016878e2533c88238480b26128a1f1af95", Digests.digest(DEF, new byte[0]));
        assertEquals("sha256:9c76eecc7b76fcb46199cb27b90cf59a660e10575bb0412128905129d5b1c2aa",
                Digests.digest(DEF, "hello\n".getBytes(StandardCharsets.US_ASCII)));
        assertEquals("sha256:babc284ee4ffe7f449377fbf6692715b43aec7bc39c094a95878904d34bac97e", Digests.digest(DEF, new byte[4096]));
        assertEquals("sha256:093756e4ea9683329106d4a16982682ed182c14bf076463a9e7f97305cbac743", Digests.digest(DEF, new byte[4097]));
        assertEquals("sha256:feb19a23e72cb1b8f935d668a09ecaad0bf7c5b9cdfa6dbba7c88a9998ed2b87", Digests.digest(DEF, new byte[1 << 20]));
    }

    @Test
    void emptyFileHasZeroRootAndNoTree() throws Exception {
        MerkleTree t = Digests.tree(DEF, new byte[0]);
        assertArrayEquals(new byte[32], t.rootHash());
        assertEquals(0, t.treeBytes().length);
    }

    @Test
    void treeSizeFollowsLevels() throws Exception {
        // 4097 bytes: 2 data blocks -> one level-0 block. 1 MiB: 256 blocks -> two level-0 blocks (128 hashes each) + one root block.
        assertEquals(4096, Digests.tree(DEF, new byte[4097]).treeBytes().length);
        assertEquals(3 * 4096, Digests.tree(DEF, new byte[1 << 20]).treeBytes().length);
    }

    @Test
    void paramsAreValidated() {
        assertThrows(IllegalArgumentException.class, () -> new VerityParams(HashAlgorithm.SHA256, 512, null));
        assertThrows(IllegalArgumentException.class, () -> new VerityParams(HashAlgorithm.SHA256, 3000, null));
        assertThrows(IllegalArgumentException.class, () -> new VerityParams(HashAlgorithm.SHA256, 131072, null));
        assertThrows(IllegalArgumentException.class, () -> new VerityParams(HashAlgorithm.SHA256, 4096, new byte[33]));
        assertThrows(IllegalArgumentException.class, () -> new VerityParams(null, 4096, null));
        assertEquals(32, new VerityParams(HashAlgorithm.SHA512, 1024, new byte[32]).saltSize());
    }

    @Test
    void saltIsCopied() {
        byte[] s = {1, 2, 3};
        VerityParams p = new VerityParams(HashAlgorithm.SHA256, 4096, s);
        s[0] = 9;
        assertEquals(1, p.salt()[0]);
        p.salt()[1] = 9;
        assertEquals(2, p.salt()[1]);
    }

    @Test
    void descriptorRoundTripsAndRejectsCorruption() throws Exception {
        VerityParams p = new VerityParams(HashAlgorithm.SHA512, 1024, new byte[] {(byte) 0xab, 0x01});
        VerityDescriptor d = Digests.tree(p, new byte[5000]).descriptor();
        byte[] raw = d.encode();
        assertEquals(256, raw.length);
        assertEquals(d, VerityDescriptor.decode(raw));
        assertEquals(d.digestString(), VerityDescriptor.decode(raw).digestString());

        int[] bad = {0, 1, 2, 3, 4, 15, 80 + 2, 111, 112, 200, 255};
        for (int at : bad) {
            byte[] x = raw.clone();
            x[at] ^= (byte) 0x80;
            assertThrows(IllegalArgumentException.class, () -> VerityDescriptor.decode(x), "byte " + at);
        }
        assertThrows(IllegalArgumentException.class, () -> VerityDescriptor.decode(new byte[255]));
        // SHA-256 uses 32 of the 64 root-hash bytes: the rest must be zero.
        byte[] r256 = Digests.tree(VerityParams.defaults(), new byte[10]).descriptor().encode();
        r256[16 + 32] = 1;
        assertThrows(IllegalArgumentException.class, () -> VerityDescriptor.decode(r256));
    }

    @Test
    void storedTreeIsAcceptedOnlyIntact() throws Exception {
        byte[] data = new byte[600_000];
        new java.util.Random(7).nextBytes(data);
        MerkleTree t = Digests.tree(DEF, data);
        byte[] tree = t.treeBytes();
        assertNotNull(MerkleTree.verified(DEF, data.length, tree, t.rootHash()));
        for (int at : new int[] {0, 31, 4096, 8191, tree.length - 1}) {
            byte[] x = tree.clone();
            x[at] ^= 1;
            assertNull(MerkleTree.verified(DEF, data.length, x, t.rootHash()), "tree byte " + at);
        }
        byte[] r = t.rootHash();
        r[5] ^= 1;
        assertNull(MerkleTree.verified(DEF, data.length, tree, r));
        assertNull(MerkleTree.verified(DEF, data.length, java.util.Arrays.copyOf(tree, tree.length - 1), t.rootHash()));
    }

    @Test
    void hugeSizesAreRefusedNotAllocated() {
        assertThrows(IllegalArgumentException.class, () -> new TreeLayout(DEF, Long.MAX_VALUE));
        assertThrows(IllegalArgumentException.class, () -> new TreeLayout(DEF, -1));
    }
}
