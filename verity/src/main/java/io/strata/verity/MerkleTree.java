package io.strata.verity;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * An fs-verity Merkle tree: the tree bytes in fs-verity's storage order (root level first, see
 * {@link TreeLayout}) and the root hash. {@link #build} streams the data through a fixed buffer, so
 * only the tree (about 1/128 of the data) is ever in memory; {@link #verified} checks a stored tree
 * against a root hash before it is trusted.
 *
 * <p>Immutable after construction (the tree array is never handed out without copying).
 */
public final class MerkleTree {
    /** Data is read in chunks of at least this size (whole blocks) to keep calls to the source few. */
    private static final int CHUNK = 256 * 1024;

    private final VerityParams params;
    private final TreeLayout layout;
    private final byte[] tree;
    private final byte[] rootHash;

    private MerkleTree(VerityParams params, TreeLayout layout, byte[] tree, byte[] rootHash) {
        this.params = params;
        this.layout = layout;
        this.tree = tree;
        this.rootHash = rootHash;
    }

    /**
     * Builds the tree of {@code dataSize} bytes read from {@code src}. The source must deliver
     * exactly that many bytes: fewer is an IOException (the file shrank while being hashed).
     */
    public static MerkleTree build(VerityParams params, long dataSize, DataSource src) throws IOException {
        TreeLayout layout = new TreeLayout(params, dataSize);
        BlockHasher hasher = new BlockHasher(params);
        int bs = params.blockSize();
        byte[] tree = new byte[(int) layout.treeSize];
        byte[] root = new byte[params.algorithm().digestSize];
        if (dataSize == 0) return new MerkleTree(params, layout, tree, root); // all-zero root hash

        byte[] chunk = new byte[Math.max(bs, CHUNK)];
        ByteBuffer buf = ByteBuffer.wrap(chunk);
        long offset = 0, block = 0;
        while (offset < dataSize) {
            int want = (int) Math.min(chunk.length, dataSize - offset);
            buf.clear().limit(want);
            while (buf.hasRemaining()) {
                int n = src.read(offset + buf.position(), buf);
                if (n <= 0) throw new IOException("data ended at " + (offset + buf.position()) + " of " + dataSize + " bytes");
            }
            int full = want - want % bs;
            if (full < want) Arrays.fill(chunk, want, full + bs, (byte) 0); // zero-pad the last block
            int end = full < want ? full + bs : full;
            for (int at = 0; at < end; at += bs, block++) {
                if (layout.levels() == 0) hasher.hash(chunk, at, bs, root, 0);
                else hasher.hash(chunk, at, bs, tree, (int) layout.dataHashOffset(block));
            }
            offset += want;
        }
        // Upper levels: hash each block of level l-1 into level l; blocks are already zero-padded.
        for (int l = 1; l < layout.levels(); l++) {
            for (long j = 0; j < layout.levelBlocks[l - 1]; j++)
                hasher.hash(tree, (int) (layout.levelStart[l - 1] + j * bs), bs, tree,
                        (int) (layout.levelStart[l] + j * layout.digestSize));
        }
        if (layout.levels() > 0) hasher.hash(tree, 0, bs, root, 0);
        return new MerkleTree(params, layout, tree, root);
    }

    /**
     * A stored tree, accepted only if every tree block hashes to its entry in the level above and
     * the top block to {@code expectedRoot}. Returns null on any mismatch (the caller reports it).
     */
    static MerkleTree verified(VerityParams params, long dataSize, byte[] tree, byte[] expectedRoot) {
        TreeLayout layout = new TreeLayout(params, dataSize);
        if (tree.length != layout.treeSize) return null;
        int d = layout.digestSize, bs = layout.blockSize;
        if (layout.levels() == 0) {
            // No tree: the root is the hash of the only data block, checked on read.
            return new MerkleTree(params, layout, tree, expectedRoot.clone());
        }
        BlockHasher hasher = new BlockHasher(params);
        byte[] h = new byte[d];
        for (int l = 1; l < layout.levels(); l++) {
            for (long j = 0; j < layout.levelBlocks[l - 1]; j++) {
                hasher.hash(tree, (int) (layout.levelStart[l - 1] + j * bs), bs, h, 0);
                int at = (int) (layout.levelStart[l] + j * d);
                if (!Arrays.equals(h, 0, d, tree, at, at + d)) return null;
            }
        }
        hasher.hash(tree, 0, bs, h, 0);
        if (!Arrays.equals(h, expectedRoot)) return null;
        return new MerkleTree(params, layout, tree, expectedRoot.clone());
    }

    public VerityParams params() {
        return params;
    }

    public long dataSize() {
        return layout.dataSize;
    }

    public byte[] rootHash() {
        return rootHash.clone();
    }

    /** The tree bytes in fs-verity's storage order (a copy); empty for files of at most one block. */
    public byte[] treeBytes() {
        return tree.clone();
    }

    int treeLength() {
        return tree.length;
    }

    TreeLayout layout() {
        return layout;
    }

    /**
     * True if {@code hash} (at {@code off}) is the expected hash of data block {@code index}: its
     * level-0 entry, or the root hash for a one-block file.
     */
    boolean matchesDataBlock(long index, byte[] hash, int off) {
        int d = layout.digestSize;
        if (layout.levels() == 0) return index == 0 && Arrays.equals(hash, off, off + d, rootHash, 0, d);
        int at = (int) layout.dataHashOffset(index);
        return Arrays.equals(hash, off, off + d, tree, at, at + d);
    }

    /** The descriptor of this tree. */
    public VerityDescriptor descriptor() {
        return new VerityDescriptor(params, layout.dataSize, rootHash);
    }
}
