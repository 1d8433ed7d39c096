package io.strata.union;

import io.strata.core.Attr;
import io.strata.core.Caller;
import io.strata.core.Entry;
import io.strata.core.FileSystem;
import io.strata.core.FsException;
import io.strata.core.Name;
import io.strata.core.Opened;
import io.strata.core.OpenFlags;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Comparable snapshots of a tree: path to "dir", "file sha256", "link target" or "other", through
 * the SPI or through the host (a kernel mount), plus a little process runner.
 */
final class Tree {
    private Tree() {}

    static Map<String, String> of(FileSystem fs) throws FsException {
        Map<String, String> out = new TreeMap<>();
        walk(fs, FileSystem.ROOT, "", out);
        return out;
    }

    private static void walk(FileSystem fs, long dir, String prefix, Map<String, String> out) throws FsException {
        for (String name : Stack.list(fs, dir)) {
            Entry e = fs.lookup(Caller.ROOT, dir, Name.of(name));
            try {
                Attr a = e.attr();
                String path = prefix + "/" + name;
                if (a.isDirectory()) {
                    out.put(path, "dir");
                    walk(fs, e.ino(), path, out);
                } else if (a.isRegular()) {
                    out.put(path, "file " + sha(readAll(fs, e.ino())));
                } else if (a.isSymlink()) {
                    out.put(path, "link " + new String(fs.readlink(Caller.ROOT, e.ino()), StandardCharsets.UTF_8));
                } else {
                    out.put(path, "other");
                }
            } finally {
                fs.forget(e.ino(), 1);
            }
        }
    }

    static byte[] readAll(FileSystem fs, long ino) throws FsException {
        Opened o = fs.open(Caller.ROOT, ino, OpenFlags.O_RDONLY);
        try {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            ByteBuffer b = ByteBuffer.allocate(1 << 16);
            long off = 0;
            int n;
            while ((n = fs.read(Caller.ROOT, ino, o.fh(), off, b.clear())) > 0) {
                out.write(b.array(), 0, n);
                off += n;
            }
            return out.toByteArray();
        } finally {
            fs.release(ino, o.fh(), OpenFlags.O_RDONLY);
        }
    }

    static Map<String, String> of(Path root) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.toList()) {
                if (p.equals(root)) continue;
                String path = "/" + root.relativize(p);
                if (Files.isSymbolicLink(p)) out.put(path, "link " + Files.readSymbolicLink(p));
                else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) out.put(path, "dir");
                else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) out.put(path, "file " + sha(Files.readAllBytes(p)));
                else out.put(path, "other");
            }
        }
        return out;
    }

    static String sha(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b)).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    record Result(int code, String out) {}

    static Result run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("timeout: " + String.join(" ", cmd));
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8).trim());
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(x);
        }
    }

    static List<String> lines(String s) {
        return s.isEmpty() ? List.of() : List.of(s.split("\n"));
    }
}
