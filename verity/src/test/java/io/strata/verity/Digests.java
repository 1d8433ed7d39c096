package io.strata.verity;

import java.io.IOException;

/** Test helper: the tree of an in-memory array. */
final class Digests {
    private Digests() {}

    static DataSource of(byte[] data) {
        return (offset, dst) -> {
            if (offset >= data.length) return -1;
            int n = (int) Math.min(dst.remaining(), data.length - offset);
            dst.put(data, (int) offset, n);
            return n;
        };
    }

    static MerkleTree tree(VerityParams p, byte[] data) throws IOException {
        return MerkleTree.build(p, data.length, of(data));
    }

    static String digest(VerityParams p, byte[] data) throws IOException {
        return tree(p, data).descriptor().digestString();
    }

}
