package io.strata.verity;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code strata verity digest} against {@code fsverity digest}: same stdout, same exit code, same files. */
class VerityCommandTest {
    static Path dir;

    @BeforeAll
    static void setUp() throws IOException {
        assertTrue(Files.isExecutable(FsverityToolTest.FSVERITY),
                FsverityToolTest.FSVERITY + " is missing: install fsverity-utils (Debian package 'fsverity')");
        dir = Files.createTempDirectory(Path.of("/tmp"), "verity-cmd-");
        byte[] b = new byte[70_000];
        new Random(1).nextBytes(b);
        Files.write(dir.resolve("a"), b);
        Files.write(dir.resolve("b"), "hello\n".getBytes(StandardCharsets.US_ASCII));
        Files.createDirectory(dir.resolve("d"));
    }

    @AfterAll
    static void tearDown() throws IOException {
        try (var s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    record Result(int code, String out, String err) {}

    static Result ours(String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        String[] full = new String[args.length + 1];
        full[0] = "digest";
        System.arraycopy(args, 0, full, 1, args.length);
        int code = VerityCommand.run(full, new PrintStream(o, true), new PrintStream(e, true));
        return new Result(code, o.toString(), e.toString());
    }

    static Result theirs(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(FsverityToolTest.FSVERITY.toString(), "digest"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).start();
        String out = new String(p.getInputStream().readAllBytes());
        String err = new String(p.getErrorStream().readAllBytes());
        return new Result(p.waitFor(), out, err);
    }

    private static String f(String name) {
        return dir.resolve(name).toString();
    }

    private void same(String... args) throws Exception {
        Result t = theirs(args), o = ours(args);
        assertEquals(t.code, o.code, "exit code of " + List.of(args) + "; fsverity said " + t.err + "; we said " + o.err);
        assertEquals(t.out, o.out, "stdout of " + List.of(args));
        if (t.code != 0) {
            String first = t.err.lines().findFirst().orElse("");
            if (first.startsWith("ERROR") || first.startsWith("digest:")) {
                String ourFirst = o.err.lines().findFirst().orElse("");
                assertEquals(first, ourFirst, "first error line of " + List.of(args));
            }
        }
    }

    @Test
    void sameOutputAsFsverity() throws Exception {
        same(f("a"));
        same(f("a"), f("b"));
        same("--hash-alg=sha512", f("a"));
        same("--hash-alg", "sha512", f("a"));
        same(f("a"), "--block-size", "1024", "--salt", "0aff");
        same("--block-size=65536", "--salt=", f("b"));
        same("--hash=sha512", "--comp", f("a"), f("b"));
        same("--compact", f("a"));
        same("--for-builtin-sig", f("a"));
        same("--compact", "--for-builtin-sig", "--hash-alg=sha512", f("b"));
        same("--", f("a"));
    }

    @Test
    void sameErrorsAsFsverity() throws Exception {
        same(f("missing"));
        same(f("a"), f("missing"), f("b"));
        same();
        same("--bogus", f("a"));
        same("-x", f("a"));
        same("--hash-alg=md5", f("a"));
        same("--block-size=4096x", f("a"));
        same("--block-size=0", f("a"));
        same("--salt=abc", f("a"));
        same("--salt=zz", f("a"));
        same("--salt=" + "ab".repeat(33), f("a"));
        same("--salt=ab", "--salt=cd", f("a"));
        same("--compact=1", f("a"));
        same("--hash-alg");
        same("--out-merkle-tree=/nonexistent-dir/t", f("a"));
        Result dirResult = ours(f("d"));
        assertEquals(1, dirResult.code);
        assertTrue(dirResult.err.contains("Is a directory"), dirResult.err);
    }

    @Test
    void outputFilesAreByteIdentical() throws Exception {
        String[] opts = {"--hash-alg=sha512", "--block-size=1024", "--salt=01020304"};
        for (String who : new String[] {"t", "o"}) {
            List<String> args = new ArrayList<>(List.of(opts));
            args.add("--out-merkle-tree=" + f(who + ".tree"));
            args.add("--out-descriptor=" + f(who + ".desc"));
            args.add(f("a"));
            Result r = who.equals("t") ? theirs(args.toArray(String[]::new)) : ours(args.toArray(String[]::new));
            assertEquals(0, r.code, r.err);
        }
        assertTrue(Files.size(dir.resolve("t.tree")) > 0);
        assertEquals(-1, Files.mismatch(dir.resolve("t.tree"), dir.resolve("o.tree")));
        assertEquals(-1, Files.mismatch(dir.resolve("t.desc"), dir.resolve("o.desc")));
    }

    @Test
    void blockSizesOutsideTheKernelRangeAreRefused() {
        // fsverity-utils accepts 512 and 128 KiB for offline digests; the kernel (and Strata) do not.
        Result r = ours("--block-size=512", f("a"));
        assertEquals(1, r.code);
        assertTrue(r.err.contains("block size"), r.err);
    }

    @Test
    void unknownSubcommand() {
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        assertEquals(2, VerityCommand.run(new String[] {"frobnicate"}, new PrintStream(new ByteArrayOutputStream()), new PrintStream(e, true)));
        assertTrue(e.toString().contains("frobnicate"));
    }
}
