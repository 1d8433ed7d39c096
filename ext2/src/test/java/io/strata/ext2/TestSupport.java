package io.strata.ext2;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.strata.core.Caller;
import io.strata.core.Entry;
import io.strata.core.FileSystem;
import io.strata.core.FileType;
import io.strata.core.FsException;
import io.strata.core.Name;
import io.strata.core.Opened;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** Helpers shared by the tests: running e2fsprogs, and comparable snapshots of trees. */
final class TestSupport {
    private TestSupport() {}

    record Result(int code, String out) {}

    static boolean haveTool(String name) {
        return Files.isExecutable(Path.of("/usr/sbin", name)) || Files.isExecutable(Path.of("/sbin", name));
    }

    static void assumeE2fsprogs() {
        assumeTrue(haveTool("mke2fs") && haveTool("e2fsck") && haveTool("debugfs"), "e2fsprogs not installed");
    }

    static Result run(String... cmd) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("E2FSPROGS_FAKE_TIME", "");
        pb.environment().remove("E2FSPROGS_FAKE_TIME");
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("timeout: " + String.join(" ", cmd));
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    static void mke2fs(Path img, String size, int bs, int isz, Path src, String... extra) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("mke2fs", "-q", "-F", "-t", "ext2", "-b", "" + bs, "-I", "" + isz));
        cmd.addAll(List.of(extra));
        if (src != null) cmd.addAll(List.of("-d", src.toString()));
        cmd.add(img.toString());
        cmd.add(size);
        Result r = run(cmd.toArray(String[]::new));
        if (r.code != 0) throw new IOException("mke2fs failed: " + r.out);
    }

    static Result fsck(Path img) throws Exception {
        return run("e2fsck", "-fn", img.toString());
    }

    static void rdump(Path img, Path dest) throws Exception {
        Files.createDirectories(dest);
        Result r = run("debugfs", "-R", "rdump / " + dest, img.toString());
        if (r.code != 0) throw new IOException("debugfs failed: " + r.out);
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(x);
        }
    }

    static String sha(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b)).substring(0, 16);
    }

    /** path -> "type perms size/hash-or-target [hardlink-group]" of a host directory. */
    static Map<String, String> snapshot(Path root, boolean withLinks) throws Exception {
        Map<String, String> out = new TreeMap<>();
        Map<Object, String> firstByKey = new HashMap<>();
        List<Path> all;
        try (Stream<Path> s = Files.walk(root)) {
            all = s.sorted().toList();
        }
        for (Path p : all) {
            String rel = root.relativize(p).toString();
            if (rel.isEmpty() || rel.equals("lost+found")) continue;
            Map<String, Object> a = Files.readAttributes(p, "unix:mode,ino,nlink,size", LinkOption.NOFOLLOW_LINKS);
            int mode = (Integer) a.get("mode");
            String perms = Integer.toOctalString(mode & 07777);
            String d;
            if (Files.isSymbolicLink(p)) d = "l " + Files.readSymbolicLink(p);
            else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) d = "d " + perms;
            else {
                d = "f " + perms + " " + sha(Files.readAllBytes(p));
                if (withLinks && (Integer) a.get("nlink") > 1) {
                    String first = firstByKey.putIfAbsent(a.get("ino"), rel);
                    d += " link:" + (first == null ? rel : first);
                }
            }
            out.put(rel, d);
        }
        return out;
    }

    /** The same snapshot, read through the SPI. */
    static Map<String, String> snapshot(FileSystem fs) throws Exception {
        Map<String, String> out = new TreeMap<>();
        Map<Long, String> firstByIno = new HashMap<>();
        walk(fs, FileSystem.ROOT, "", out, firstByIno);
        return out;
    }

    private static void walk(FileSystem fs, long dir, String prefix, Map<String, String> out, Map<Long, String> first)
            throws Exception {
        List<Name> names = new ArrayList<>();
        fs.readdir(Caller.ROOT, dir, 0, 0, (n, ino, t, next) -> {
            if (!n.equals(Name.DOT) && !n.equals(Name.DOTDOT)) names.add(n);
            return true;
        });
        names.sort(null);
        for (Name n : names) {
            String rel = prefix.isEmpty() ? n.toString() : prefix + "/" + n;
            if (rel.equals("lost+found")) continue;
            Entry e = fs.lookup(Caller.ROOT, dir, n);
            try {
                int mode = e.attr().mode();
                String perms = Integer.toOctalString(mode & 07777);
                if (FileType.isLink(mode)) out.put(rel, "l " + new String(fs.readlink(Caller.ROOT, e.ino()), StandardCharsets.UTF_8));
                else if (FileType.isDir(mode)) {
                    out.put(rel, "d " + perms);
                    walk(fs, e.ino(), rel, out, first);
                } else {
                    String d = "f " + perms + " " + sha(readAll(fs, e.ino()));
                    if (e.attr().nlink() > 1) {
                        String f = first.putIfAbsent(e.ino(), rel);
                        d += " link:" + (f == null ? rel : f);
                    }
                    out.put(rel, d);
                }
            } finally {
                fs.forget(e.ino(), 1);
            }
        }
    }

    static byte[] readAll(FileSystem fs, long ino) throws FsException {
        Opened o = fs.open(Caller.ROOT, ino, 0);
        try {
            long size = fs.getattr(Caller.ROOT, ino, o.fh()).attr().size();
            ByteBuffer b = ByteBuffer.allocate((int) size);
            while (b.hasRemaining()) {
                int n = fs.read(Caller.ROOT, ino, o.fh(), b.position(), b);
                if (n == 0) break;
            }
            return b.array();
        } finally {
            fs.release(ino, o.fh(), 0);
        }
    }

    /** A source tree with files of several sizes (direct, indirect, double indirect), links, symlinks. */
    static void populate(Path src, long seed) throws IOException {
        java.util.Random r = new java.util.Random(seed);
        Files.createDirectories(src.resolve("a/b/c"));
        Files.createDirectories(src.resolve("empty"));
        Files.writeString(src.resolve("hello.txt"), "hello world\n");
        Files.write(src.resolve("a/zero"), new byte[0]);
        for (int size : new int[] {1, 1023, 1024, 4097, 12 * 1024 + 1, 300_000, 5_000_000}) {
            byte[] b = new byte[size];
            r.nextBytes(b);
            Files.write(src.resolve("a/b/f" + size), b);
        }
        Files.createSymbolicLink(src.resolve("short-link"), Path.of("hello.txt"));
        Files.createSymbolicLink(src.resolve("a/long-link"), Path.of("x".repeat(100) + "/" + "y".repeat(80)));
        Files.createLink(src.resolve("a/b/c/hard"), src.resolve("hello.txt"));
        Path exec = src.resolve("a/run.sh");
        Files.writeString(exec, "#!/bin/sh\necho hi\n");
        Files.setPosixFilePermissions(exec, PosixFilePermissions.fromString("rwxr-x---"));
        for (int i = 0; i < 50; i++) Files.writeString(src.resolve("a/b/c/n" + i), "file " + i);
    }

    /** assertEquals for snapshots, reporting only the differing paths. */
    static void assertSameTree(Map<String, String> expected, Map<String, String> actual) {
        StringBuilder sb = new StringBuilder();
        java.util.TreeSet<String> keys = new java.util.TreeSet<>(expected.keySet());
        keys.addAll(actual.keySet());
        int n = 0;
        for (String k : keys) {
            String e = expected.get(k), a = actual.get(k);
            if (java.util.Objects.equals(e, a)) continue;
            if (n++ < 20) sb.append("\n  ").append(abbrev(k)).append(": expected ").append(abbrev(e)).append(", got ").append(abbrev(a));
        }
        if (n > 0) throw new org.opentest4j.AssertionFailedError(n + " differences:" + sb);
    }

    private static String abbrev(String s) {
        return s == null ? null : s.replaceAll("x{10,}", "x*").replaceAll("z{10,}", "z*");
    }
}
