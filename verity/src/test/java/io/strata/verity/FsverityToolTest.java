package io.strata.verity;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Digests, trees and descriptors compared byte for byte with {@code /usr/bin/fsverity digest}
 * over generated files. The tool is required (CI installs fsverity-utils): a missing binary fails.
 */
class FsverityToolTest {
    static final Path FSVERITY = Path.of(System.getProperty("strata.fsverity", "/usr/bin/fsverity"));
    static Path dir;

    @BeforeAll
    static void setUp() throws IOException {
        assertTrue(Files.isExecutable(FSVERITY), FSVERITY + " is missing: install fsverity-utils (Debian package 'fsverity')");
        dir = Files.createTempDirectory(Path.of("/tmp"), "verity-tool-");
    }

    @AfterAll
    static void tearDown() throws IOException {
        if (dir == null) return;
        try (var s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    static String run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), "exit code of " + cmd + ": " + out);
        return out.trim();
    }

    static Path file(String name, long size, long seed) throws IOException {
        Path f = dir.resolve(name);
        byte[] b = new byte[(int) size];
        if (seed != 0) new Random(seed).nextBytes(b);
        Files.write(f, b);
        return f;
    }

    private void compare(Path f, HashAlgorithm alg, int bs, byte[] salt) throws Exception {
        VerityParams p = new VerityParams(alg, bs, salt);
        Path tree = dir.resolve("tree"), desc = dir.resolve("desc");
        List<String> cmd = new ArrayList<>(List.of(FSVERITY.toString(), "digest", f.toString(), "--hash-alg=" + alg.label,
                "--block-size=" + bs, "--out-merkle-tree=" + tree, "--out-descriptor=" + desc));
        if (salt != null) cmd.add("--salt=" + HexFormat.of().formatHex(salt));
        String expected = run(cmd);
        MerkleTree t;
        try (FileChannel ch = FileChannel.open(f)) {
            t = MerkleTree.build(p, ch.size(), DataSource.of(ch));
        }
        String what = f.getFileName() + " " + p;
        assertEquals(expected, t.descriptor().digestString() + " " + f, what);
        assertArrayEquals(Files.readAllBytes(tree), t.treeBytes(), "Merkle tree of " + what);
        assertArrayEquals(Files.readAllBytes(desc), t.descriptor().encode(), "descriptor of " + what);
    }

    @Test
    void smallSizesEveryParameterCombination() throws Exception {
        long[] sizes = {0, 1, 4095, 4096, 4097};
        byte[][] salts = {null, HexFormat.of().parseHex("00112233"), HexFormat.of().parseHex("ff".repeat(32))};
        for (long size : sizes) {
            Path f = file("s" + size, size, size + 1);
            for (HashAlgorithm alg : HashAlgorithm.values())
                for (int bs : new int[] {1024, 4096, 65536})
                    for (byte[] salt : salts) compare(f, alg, bs, salt);
        }
    }

    @Test
    void multiLevelTrees() throws Exception {
        Random r = new Random(42);
        List<Path> files = new ArrayList<>(List.of(file("mib", 1 << 20, 3), file("zero-mib", 1 << 20, 0)));
        for (int i = 0; i < 3; i++) {
            long size = 1 + r.nextInt(20 << 20);
            files.add(file("r" + i, size, size));
        }
        for (Path f : files)
            for (HashAlgorithm alg : HashAlgorithm.values()) {
                compare(f, alg, 1024, null); // 1 KiB blocks: 3-4 levels on 20 MiB
                compare(f, alg, 4096, new byte[] {1, 2, 3});
                compare(f, alg, 65536, null);
            }
    }

    /** 1 KiB blocks with SHA-512 hold 16 hashes: 16^2+1 blocks need exactly three levels. */
    @Test
    void levelBoundaries() throws Exception {
        for (long blocks : new long[] {16, 17, 256, 257}) {
            Path f = file("b" + blocks, blocks * 1024, blocks);
            compare(f, HashAlgorithm.SHA512, 1024, null);
            compare(f, HashAlgorithm.SHA512, 1024, new byte[] {7});
        }
    }
}
