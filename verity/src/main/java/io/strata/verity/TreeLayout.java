package io.strata.verity;

/**
 * Where each Merkle tree level lives in fs-verity's storage order: the level nearest the root
 * first, the level hashing the data blocks last (what {@code fsverity digest --out-merkle-tree}
 * writes). Level 0 hashes the data blocks; level {@code levels()-1} is one block, whose hash is
 * the root hash. A file of at most one block has no levels.
 *
 * <p>The whole tree must fit one Java array (fs-verity trees are about 1/128 of the data with
 * SHA-256 and 4 KiB blocks, so about 256 GiB of data); larger sizes are refused, never allocated.
 */
final class TreeLayout {
    /** Largest tree held in one array. */
    static final long MAX_TREE_BYTES = Integer.MAX_VALUE - 64;

    final int blockSize;
    final int digestSize;
    final long dataSize;
    final long dataBlocks;
    /** Blocks per level, level 0 (data hashes) first. */
    final long[] levelBlocks;
    /** Byte offset of each level in the stored tree. */
    final long[] levelStart;
    final long treeSize;

    TreeLayout(VerityParams p, long dataSize) {
        if (dataSize < 0) throw new IllegalArgumentException("negative data size " + dataSize);
        this.blockSize = p.blockSize();
        this.digestSize = p.algorithm().digestSize;
        this.dataSize = dataSize;
        this.dataBlocks = dataSize / blockSize + (dataSize % blockSize != 0 ? 1 : 0);
        int hpb = p.hashesPerBlock();
        int levels = 0;
        long[] blocks = new long[64];
        for (long n = dataBlocks; n > 1; ) {
            n = (n + hpb - 1) / hpb;
            blocks[levels++] = n;
        }
        this.levelBlocks = java.util.Arrays.copyOf(blocks, levels);
        this.levelStart = new long[levels];
        long at = 0;
        for (int l = levels - 1; l >= 0; l--) {
            levelStart[l] = at;
            at += levelBlocks[l] * blockSize;
            if (at > MAX_TREE_BYTES)
                throw new IllegalArgumentException("data size " + dataSize + " needs a Merkle tree larger than "
                        + MAX_TREE_BYTES + " bytes");
        }
        this.treeSize = at;
    }

    int levels() {
        return levelBlocks.length;
    }

    /** Offset in the tree of the hash of data block {@code index}. */
    long dataHashOffset(long index) {
        return levelStart[0] + index * digestSize;
    }
}
