package io.strata.verity;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An fs-verity Merkle tree: the tree bytes in fs-verity's storage order (root level first, see
 * {@link TreeLayout}) and the root hash. {@link #build} streams the data through a fixed buffer, so
 * only the tree (about 1/128 of the data) is ever in memory; {@link #verified} checks a stored tree
 * against a root hash before it is trusted.
 *
 * <p>Immutable after construction (the tree array is never handed out without copying).
 */
public final class MerkleTree {
    /**
     * Data is read in chunks of this size (whole blocks of every block size): few calls to the
     * source, and each chunk's blocks are a long run for {@link HashWorkers}.
     */
    static final int CHUNK = 4 * 1024 * 1024;
    /** What one thread reads and hashes at a time from a concurrent source: fits a core's L2 cache. */
    static final int SHARD = 1024 * 1024;

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
     *
     * <p>The source is read on the calling thread, one chunk ahead: while chunk k is hashed on
     * {@link HashWorkers}' threads (into its own disjoint range of level 0), chunk k+1 is read into
     * the other of two buffers. The upper levels (1/128 of the data at SHA-256/4K) follow.
     */
    public static MerkleTree build(VerityParams params, long dataSize, DataSource src) throws IOException {
        TreeLayout layout = new TreeLayout(params, dataSize);
        BlockHasher hasher = new BlockHasher(params);
        int bs = params.blockSize();
        byte[] tree = new byte[(int) layout.treeSize];
        byte[] root = new byte[params.algorithm().digestSize];
        if (dataSize == 0) return new MerkleTree(params, layout, tree, root); // all-zero root hash
        if (layout.levels() == 0) { // one block: its hash is the root
            byte[] block = new byte[bs];
            readFully(src, 0, ByteBuffer.wrap(block, 0, (int) dataSize), dataSize);
            hasher.hash(block, 0, bs, root, 0);
            return new MerkleTree(params, layout, tree, root);
        }

        long padded = layout.dataBlocks * bs;
        if (src.concurrent() && HashWorkers.THREADS > 1 && padded > SHARD) {
            hashDataSharded(hasher, layout, src, tree);
            hashUpperLevels(hasher, layout, tree, root);
            return new MerkleTree(params, layout, tree, root);
        }
        int chunkSize = (int) Math.min(CHUNK, padded);
        byte[][] buffers = {new byte[chunkSize], padded > chunkSize ? new byte[chunkSize] : null};
        HashWorkers.Pending pending = HashWorkers.Pending.DONE;
        try {
            long offset = 0, block = 0;
            for (int k = 0; offset < dataSize; k++) {
                byte[] chunk = buffers[k & 1]; // its previous run was awaited before the last submit
                int want = (int) Math.min(chunk.length, dataSize - offset);
                readFully(src, offset, ByteBuffer.wrap(chunk, 0, want), dataSize);
                int blocks = (want + bs - 1) / bs;
                java.util.Arrays.fill(chunk, want, blocks * bs, (byte) 0); // zero-pad the last block
                pending.await();
                pending = HashWorkers.submit(hasher, chunk, 0, blocks, bs, tree, (int) layout.dataHashOffset(block));
                offset += want;
                block += blocks;
            }
        } finally {
            pending.await(); // never leave a slice writing into arrays we give up (also on a read error)
        }
        hashUpperLevels(hasher, layout, tree, root);
        return new MerkleTree(params, layout, tree, root);
    }

    /** Level 1 and up from level 0 (each level's blocks are already zero-padded), then the root. */
    private static void hashUpperLevels(BlockHasher hasher, TreeLayout layout, byte[] tree, byte[] root) {
        int bs = layout.blockSize;
        for (int l = 1; l < layout.levels(); l++) {
            HashWorkers.hash(hasher, tree, (int) layout.levelStart[l - 1], (int) layout.levelBlocks[l - 1], bs,
                    tree, (int) layout.levelStart[l]);
        }
        hasher.hash(tree, 0, bs, root, 0);
    }

    /**
     * Level 0 of a concurrent source: every hashing thread (the caller and the pool) takes the next
     * {@link #SHARD} of the file, reads it into its own buffer and hashes it into its slots of
     * level 0 while it is still in that core's cache. The first failure stops the others.
     */
    private static void hashDataSharded(BlockHasher hasher, TreeLayout layout, DataSource src, byte[] tree)
            throws IOException {
        long size = layout.dataSize, shards = (size + SHARD - 1) / SHARD;
        int bs = layout.blockSize;
        AtomicLong next = new AtomicLong();
        HashWorkers.onEveryThread(() -> {
            byte[] buf = new byte[SHARD];
            try {
                for (long s; (s = next.getAndIncrement()) < shards; ) {
                    long off = s * SHARD;
                    int want = (int) Math.min(SHARD, size - off), blocks = (want + bs - 1) / bs;
                    readFully(src, off, ByteBuffer.wrap(buf, 0, want), size);
                    Arrays.fill(buf, want, blocks * bs, (byte) 0); // zero-pad the last block
                    hasher.hashRun(buf, 0, blocks, bs, tree, (int) layout.dataHashOffset(off / bs));
                }
            } catch (IOException | RuntimeException e) {
                next.set(shards); // the others stop at their next shard
                throw e;
            }
        });
    }

    /** Fills {@code buf} from {@code src} at {@code offset}; an early end is an IOException. */
    private static void readFully(DataSource src, long offset, ByteBuffer buf, long dataSize) throws IOException {
        int base = buf.position();
        while (buf.hasRemaining()) {
            int n = src.read(offset + buf.position() - base, buf);
            if (n <= 0) throw new IOException("data ended at " + (offset + buf.position() - base) + " of " + dataSize + " bytes");
        }
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
        // Level l holds the hashes of level l-1's blocks, contiguous: hash the run, compare at once.
        for (int l = 1; l < layout.levels(); l++) {
            int n = (int) layout.levelBlocks[l - 1], at = (int) layout.levelStart[l];
            byte[] hashes = new byte[n * d];
            HashWorkers.hash(hasher, tree, (int) layout.levelStart[l - 1], n, bs, hashes, 0);
            if (!Arrays.equals(hashes, 0, n * d, tree, at, at + n * d)) return null;
        }
        byte[] h = new byte[d];
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
