package io.strata.verity;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The multi-threaded tree build ({@link HashWorkers}, double-buffered chunks in
 * {@link MerkleTree#build}) against a plain one-block-at-a-time reference written here from the
 * fs-verity definition, at the sizes where the split, the chunks and the levels change.
 */
class ParallelHashingTest {
    static final Random RND = new Random(42);

    /** The reference: every block hashed on its own with a fresh digest, level by level. */
    static byte[][] reference(VerityParams p, byte[] data) throws Exception {
        int bs = p.blockSize(), d = p.algorithm().digestSize;
        byte[] salt = p.paddedSalt();
        if (data.length == 0) return new byte[][] {new byte[0], new byte[d]};
        List<byte[]> levels = new ArrayList<>(); // level 0 first
        byte[] cur = data;
        while (true) {
            int blocks = (cur.length + bs - 1) / bs;
            byte[] padded = Arrays.copyOf(cur, blocks * bs);
            byte[] hashes = new byte[blocks * d];
            for (int i = 0; i < blocks; i++) {
                MessageDigest md = MessageDigest.getInstance(p.algorithm() == HashAlgorithm.SHA256 ? "SHA-256" : "SHA-512");
                md.update(salt);
                md.update(padded, i * bs, bs);
                System.arraycopy(md.digest(), 0, hashes, i * d, d);
            }
            if (blocks == 1) {
                java.io.ByteArrayOutputStream tree = new java.io.ByteArrayOutputStream();
                for (int l = levels.size() - 1; l >= 0; l--) tree.write(levels.get(l));
                return new byte[][] {tree.toByteArray(), hashes};
            }
            int treeBlocks = (hashes.length + bs - 1) / bs;
            cur = Arrays.copyOf(hashes, treeBlocks * bs);
            levels.add(cur);
        }
    }

    static byte[] random(int n) {
        byte[] b = new byte[n];
        RND.nextBytes(b);
        return b;
    }

    /** A source handing out at most a few odd-sized pieces per call (short reads). */
    static DataSource choppy(byte[] data) {
        Random r = new Random(7);
        return (offset, dst) -> {
            if (offset >= data.length) return -1;
            int n = (int) Math.min(Math.min(dst.remaining(), data.length - offset), 1 + r.nextInt(300_000));
            dst.put(data, (int) offset, n);
            return n;
        };
    }

    void check(VerityParams p, int size) throws Exception {
        byte[] data = random(size);
        byte[][] want = reference(p, data);
        for (MerkleTree t : new MerkleTree[] {Digests.tree(p, data), MerkleTree.build(p, size, choppy(data)),
                MerkleTree.build(p, size, DataSource.concurrent(Digests.of(data))),
                MerkleTree.build(p, size, DataSource.concurrent(choppy(data)))}) {
            String what = p.algorithm() + "/" + p.blockSize() + "/salt" + p.salt().length + " size " + size;
            assertArrayEquals(want[0], t.treeBytes(), "tree of " + what);
            assertArrayEquals(want[1], t.rootHash(), "root of " + what);
            assertNotNull(MerkleTree.verified(p, size, t.treeBytes(), t.rootHash()), "stored tree check of " + what);
        }
    }

    @Test
    void sizesAroundChunksSplitsAndLevels() throws Exception {
        int chunk = MerkleTree.CHUNK, min = HashWorkers.MIN_PARALLEL_BYTES;
        VerityParams sha256 = VerityParams.defaults();
        for (int size : new int[] {0, 1, 4095, 4096, 4097, min - 4096, min, min + 1, 128 * 4096, 128 * 4096 + 1,
                chunk - 1, chunk, chunk + 1, 2 * chunk + 4097, 3 * chunk - 12345}) {
            check(sha256, size);
        }
        // SHA-512/1K: 16 hashes per block, so 3-4 levels within a few MiB (256 and 4096 blocks)
        VerityParams small = new VerityParams(HashAlgorithm.SHA512, 1024, null);
        for (int size : new int[] {256 * 1024, 256 * 1024 + 1, 4096 * 1024, 4096 * 1024 + 1023, 4096 * 1024 + 1025})
            check(small, size);
        VerityParams big = new VerityParams(HashAlgorithm.SHA256, 65536, null);
        for (int size : new int[] {65535, 65536, 65537, chunk + 65536 * 3 + 5}) check(big, size);
    }

    @Test
    void withSalt() throws Exception {
        check(new VerityParams(HashAlgorithm.SHA256, 4096, new byte[] {9, 8, 7, 6}), MerkleTree.CHUNK + 4097);
        check(new VerityParams(HashAlgorithm.SHA512, 4096, random(32)), 2 * MerkleTree.CHUNK - 1);
        check(new VerityParams(HashAlgorithm.SHA256, 1024, random(32)), 1_000_001);
    }

    @Test
    void aFileChannelIsReadInShards() throws Exception {
        java.nio.file.Path f = java.nio.file.Files.createTempFile("hv-shards", ".bin");
        try {
            byte[] data = random(5 * MerkleTree.SHARD + 4097);
            java.nio.file.Files.write(f, data);
            try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(f)) {
                DataSource src = DataSource.positional(ch);
                assertTrue(src.concurrent());
                assertArrayEquals(reference(VerityParams.defaults(), data)[1],
                        MerkleTree.build(VerityParams.defaults(), data.length, src).rootHash());
            }
        } finally {
            java.nio.file.Files.deleteIfExists(f);
        }
    }

    @Test
    void everySplitOfARunEqualsTheSerialHashes() {
        BlockHasher h = new BlockHasher(new VerityParams(HashAlgorithm.SHA256, 1024, new byte[] {1}));
        byte[] data = random(700 * 1024);
        for (int count : new int[] {1, 2, 255, 256, 257, 511, 700}) {
            byte[] serial = new byte[count * 32], parallel = new byte[count * 32], submitted = new byte[count * 32];
            h.hashRun(data, 0, count, 1024, serial, 0);
            HashWorkers.hash(h, data, 0, count, 1024, parallel, 0);
            HashWorkers.submit(h, data, 0, count, 1024, submitted, 0).await();
            assertArrayEquals(serial, parallel, "hash of " + count + " blocks");
            assertArrayEquals(serial, submitted, "submit of " + count + " blocks");
            ByteBuffer direct = ByteBuffer.allocateDirect(data.length).put(data).flip();
            byte[] fromBuffer = new byte[count * 32];
            h.hashRun(direct, 0, count, 1024, fromBuffer, 0);
            assertArrayEquals(serial, fromBuffer, "direct-buffer hash of " + count + " blocks");
            assertEquals(0, direct.position(), "the buffer's own position is not touched");
        }
    }

    @Test
    void aSourceThatEndsEarlyFailsAndLeavesNoWorkBehind() {
        byte[] data = random(3 * MerkleTree.CHUNK);
        DataSource shorter = (offset, dst) -> {
            if (offset >= 2 * MerkleTree.CHUNK + 100) return -1;
            int n = (int) Math.min(dst.remaining(), 2 * MerkleTree.CHUNK + 100 - offset);
            dst.put(data, (int) offset, n);
            return n;
        };
        IOException e = assertThrows(IOException.class, () -> MerkleTree.build(VerityParams.defaults(), data.length, shorter));
        assertTrue(e.getMessage().contains("data ended at " + (2 * MerkleTree.CHUNK + 100)), e.getMessage());
        // sharded: whichever thread meets the end reports it, the others stop
        e = assertThrows(IOException.class,
                () -> MerkleTree.build(VerityParams.defaults(), data.length, DataSource.concurrent(shorter)));
        assertTrue(e.getMessage().contains("data ended at " + (2 * MerkleTree.CHUNK + 100)), e.getMessage());
        // a runtime failure of the source (how the stacker carries a lower errno) comes out as itself
        DataSource failing = DataSource.concurrent((offset, dst) -> {
            if (offset >= MerkleTree.SHARD * 2L) throw new IllegalArgumentException("lower failed at " + offset);
            int n = dst.remaining();
            dst.put(data, (int) offset, n);
            return n;
        });
        assertThrows(IllegalArgumentException.class, () -> MerkleTree.build(VerityParams.defaults(), data.length, failing));
    }
}
