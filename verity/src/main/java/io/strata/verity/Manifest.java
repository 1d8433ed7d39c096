package io.strata.verity;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

/**
 * A sealed tree's manifest: the fs-verity file digest of every regular file, by path. Text, one
 * file per line, sorted by path bytes:
 * <pre>
 * # strata verity manifest 1
 * sha256:4f0c...e1 /etc/hosts
 * sha256:9a3b...07 /odd\040name\351
 * </pre>
 * The digest is what {@code fsverity digest} and {@code fsverity measure} print for the file. Paths
 * are absolute within the tree, as bytes: a byte below 0x21, above 0x7e, or a backslash is written
 * as a backslash and three octal digits (as /proc/mounts does), so every name round-trips and a
 * line cannot be forged by a name holding a newline.
 */
public final class Manifest {
    static final String HEADER = "# strata verity manifest 1";

    /** Path (as bytes, wrapped for ordering) -> "alg:hex". */
    private final Map<Key, String> digests;

    private Manifest(Map<Key, String> digests) {
        this.digests = Collections.unmodifiableMap(digests);
    }

    /** Byte-array keys compared by content, ordered unsigned (the order `LC_ALL=C sort` gives). */
    private record Key(byte[] path) implements Comparable<Key> {
        @Override public boolean equals(Object o) {
            return o instanceof Key k && Arrays.equals(path, k.path);
        }

        @Override public int hashCode() {
            return Arrays.hashCode(path);
        }

        @Override public int compareTo(Key o) {
            return Arrays.compareUnsigned(path, o.path);
        }
    }

    /** Builds a manifest as files are sealed. */
    public static final class Builder {
        private final TreeMap<Key, String> digests = new TreeMap<>();

        public Builder add(byte[] path, VerityDescriptor d) {
            digests.put(new Key(path.clone()), d.params().algorithm().label + ":" + HexFormat.of().formatHex(d.digest()));
            return this;
        }

        public Manifest build() {
            return new Manifest(new TreeMap<>(digests));
        }
    }

    /** The digest recorded for {@code path} ("sha256:hex"), or null if the manifest does not list it. */
    public String digest(byte[] path) {
        return digests.get(new Key(path));
    }

    public int size() {
        return digests.size();
    }

    /** The digest line format of a descriptor, to compare with {@link #digest}. */
    static String digestOf(VerityDescriptor d) {
        return d.params().algorithm().label + ":" + HexFormat.of().formatHex(d.digest());
    }

    public byte[] encode() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes((HEADER + "\n").getBytes(StandardCharsets.US_ASCII));
        for (Map.Entry<Key, String> e : digests.entrySet()) {
            out.writeBytes(e.getValue().getBytes(StandardCharsets.US_ASCII));
            out.write(' ');
            out.writeBytes(escape(e.getKey().path()));
            out.write('\n');
        }
        return out.toByteArray();
    }

    public void write(Path file) throws IOException {
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        Files.write(tmp, encode());
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    public static Manifest read(Path file) throws IOException {
        return decode(Files.readAllBytes(file), file.toString());
    }

    /** Parses a manifest; IOException naming the line for anything malformed. */
    static Manifest decode(byte[] text, String what) throws IOException {
        TreeMap<Key, String> m = new TreeMap<>();
        String s = new String(text, StandardCharsets.ISO_8859_1); // bytes 1:1; the format is ASCII
        String[] lines = s.split("\n", -1);
        if (lines.length == 0 || !lines[0].equals(HEADER)) throw new IOException(what + ": not a strata verity manifest (no '" + HEADER + "' line)");
        for (int i = 1; i < lines.length; i++) {
            String l = lines[i];
            if (l.isEmpty() || l.startsWith("#")) continue;
            int sp = l.indexOf(' ');
            int colon = l.indexOf(':');
            if (sp < 0 || colon < 0 || colon > sp) throw new IOException(what + ":" + (i + 1) + ": expected 'ALG:HEX /path'");
            HashAlgorithm alg = HashAlgorithm.byLabel(l.substring(0, colon));
            String hex = l.substring(colon + 1, sp);
            if (alg == null || hex.length() != 2 * alg.digestSize || !hex.matches("[0-9a-f]+")) {
                throw new IOException(what + ":" + (i + 1) + ": bad digest '" + l.substring(0, sp) + "'");
            }
            byte[] path = unescape(l.substring(sp + 1), what + ":" + (i + 1));
            if (path.length == 0 || path[0] != '/') throw new IOException(what + ":" + (i + 1) + ": path must start with /");
            if (m.put(new Key(path), l.substring(0, sp)) != null) throw new IOException(what + ":" + (i + 1) + ": path listed twice");
        }
        return new Manifest(m);
    }

    static byte[] escape(byte[] path) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(path.length + 8);
        for (byte b : path) {
            int v = b & 0xff;
            if (v < 0x21 || v > 0x7e || v == '\\') {
                out.write('\\');
                out.write('0' + (v >> 6));
                out.write('0' + ((v >> 3) & 7));
                out.write('0' + (v & 7));
            } else {
                out.write(v);
            }
        }
        return out.toByteArray();
    }

    static byte[] unescape(String s, String where) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\') {
                if (i + 4 > s.length() || !s.substring(i + 1, i + 4).matches("[0-3][0-7][0-7]")) {
                    throw new IOException(where + ": bad escape in path");
                }
                out.write(Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else if (c < 0x21 || c > 0x7e) {
                throw new IOException(where + ": unescaped byte 0x" + Integer.toHexString(c) + " in path");
            } else {
                out.write(c);
            }
        }
        return out.toByteArray();
    }
}
