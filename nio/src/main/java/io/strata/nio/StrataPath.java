package io.strata.nio;

import io.strata.core.FsException;
import io.strata.core.Name;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.ProviderMismatchException;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A path inside a Strata file system: '/'-separated names, absolute or relative (to the root). Like the
 * JDK's Unix paths it holds bytes: each component is a {@link Name}. Strings given to
 * {@code getPath} are encoded as UTF-8 and {@link #toString()} decodes as UTF-8 (a name that is not
 * valid UTF-8 shows U+FFFD there), but a path obtained from a directory listing keeps the exact
 * bytes, so it can be opened, renamed and deleted whatever its name.
 */
final class StrataPath implements Path {
    private final StrataFileSystem fs;
    private final boolean absolute;
    private final List<Name> names;

    /** A path typed as a String (UTF-8); InvalidPathException if a component cannot be a name (NUL). */
    StrataPath(StrataFileSystem fs, String path) {
        this(fs, path.startsWith("/"), split(path));
    }

    StrataPath(StrataFileSystem fs, boolean absolute, List<Name> names) {
        this.fs = fs;
        this.absolute = absolute;
        this.names = List.copyOf(names);
    }

    private static List<Name> split(String p) {
        List<Name> out = new ArrayList<>();
        for (String s : p.split("/")) {
            if (s.isEmpty()) continue;
            try {
                out.add(Name.utf8(s));
            } catch (FsException e) {
                throw new InvalidPathException(p, e.getMessage());
            }
        }
        return out;
    }

    /** A path from raw bytes (a symlink target, a URI's path). */
    static StrataPath ofBytes(StrataFileSystem fs, byte[] b) {
        List<Name> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i <= b.length; i++) {
            if (i == b.length || b[i] == '/') {
                if (i > start) {
                    try {
                        out.add(Name.of(b, start, i - start));
                    } catch (FsException e) {
                        throw new InvalidPathException(new String(b, StandardCharsets.UTF_8), e.getMessage());
                    }
                }
                start = i + 1;
            }
        }
        return new StrataPath(fs, b.length > 0 && b[0] == '/', out);
    }

    /** The path as bytes ('/'-joined names, a leading '/' if absolute). */
    byte[] toBytes() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (absolute) out.write('/');
        for (int i = 0; i < names.size(); i++) {
            if (i > 0) out.write('/');
            out.writeBytes(names.get(i).bytes());
        }
        return out.toByteArray();
    }

    List<Name> names() {
        return names;
    }

    /** This directory's child {@code n} (a name from a listing, kept as bytes). */
    StrataPath child(Name n) {
        List<Name> all = new ArrayList<>(names);
        all.add(n);
        return new StrataPath(fs, absolute, all);
    }

    private static StrataPath check(Path p) {
        if (!(p instanceof StrataPath e)) throw new ProviderMismatchException();
        return e;
    }

    @Override public StrataFileSystem getFileSystem() { return fs; }
    @Override public boolean isAbsolute() { return absolute; }
    @Override public Path getRoot() { return absolute ? new StrataPath(fs, true, List.of()) : null; }

    /** The last name, or null for the root. */
    Name lastName() {
        return names.isEmpty() ? null : names.get(names.size() - 1);
    }

    @Override
    public Path getFileName() {
        return names.isEmpty() ? null : new StrataPath(fs, false, List.of(lastName()));
    }

    @Override
    public Path getParent() {
        if (names.isEmpty()) return null;
        if (names.size() == 1 && !absolute) return null;
        return new StrataPath(fs, absolute, names.subList(0, names.size() - 1));
    }

    @Override public int getNameCount() { return names.size(); }

    @Override
    public Path getName(int index) {
        return new StrataPath(fs, false, List.of(names.get(index)));
    }

    @Override
    public Path subpath(int begin, int end) {
        return new StrataPath(fs, false, names.subList(begin, end));
    }

    @Override
    public boolean startsWith(Path other) {
        StrataPath o = check(other);
        return o.absolute == absolute && o.names.size() <= names.size() && names.subList(0, o.names.size()).equals(o.names);
    }

    @Override
    public boolean endsWith(Path other) {
        StrataPath o = check(other);
        if (o.absolute) return equals(o);
        int n = names.size(), m = o.names.size();
        return m <= n && names.subList(n - m, n).equals(o.names);
    }

    @Override
    public Path normalize() {
        List<Name> out = new ArrayList<>();
        for (Name s : names) {
            if (s.isDot()) continue;
            boolean up = s.isDotDot();
            if (up && !out.isEmpty() && !out.get(out.size() - 1).isDotDot()) out.remove(out.size() - 1);
            else if (up && absolute) continue;
            else out.add(s);
        }
        return new StrataPath(fs, absolute, out);
    }

    @Override
    public Path resolve(Path other) {
        StrataPath o = check(other);
        if (o.absolute) return o;
        List<Name> all = new ArrayList<>(names);
        all.addAll(o.names);
        return new StrataPath(fs, absolute, all);
    }

    @Override
    public Path resolve(String other) {
        return resolve(new StrataPath(fs, other));
    }

    @Override
    public Path relativize(Path other) {
        StrataPath o = check(other);
        if (o.absolute != absolute) throw new IllegalArgumentException("one path is absolute, the other not");
        int common = 0;
        while (common < names.size() && common < o.names.size() && names.get(common).equals(o.names.get(common))) common++;
        List<Name> out = new ArrayList<>();
        for (int i = common; i < names.size(); i++) out.add(Name.DOTDOT);
        out.addAll(o.names.subList(common, o.names.size()));
        return new StrataPath(fs, false, out);
    }

    /** {@code strata:KEY!<path>}, the path's bytes percent-encoded outside unreserved ASCII. */
    @Override
    public URI toUri() {
        StringBuilder sb = new StringBuilder();
        for (byte x : ((StrataPath) toAbsolutePath()).toBytes()) {
            int c = x & 0xff;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "/-._~".indexOf(c) >= 0) {
                sb.append((char) c);
            } else {
                sb.append('%').append(String.format("%02X", c));
            }
        }
        return URI.create("strata:" + fs.key().replace("%", "%25").replace(" ", "%20") + "!" + sb);
    }

    @Override
    public Path toAbsolutePath() {
        return absolute ? this : new StrataPath(fs, true, names);
    }

    @Override
    public Path toRealPath(LinkOption... options) throws java.io.IOException {
        return fs.realPath(this, options);
    }

    @Override
    public WatchKey register(WatchService watcher, WatchEvent.Kind<?>[] events, WatchEvent.Modifier... modifiers) {
        throw new UnsupportedOperationException("watch service");
    }

    /** Absolute paths first, then component by component in byte order. */
    @Override
    public int compareTo(Path other) {
        StrataPath o = check(other);
        if (absolute != o.absolute) return absolute ? -1 : 1;
        for (int i = 0; i < Math.min(names.size(), o.names.size()); i++) {
            int c = names.get(i).compareTo(o.names.get(i));
            if (c != 0) return c;
        }
        return Integer.compare(names.size(), o.names.size());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StrataPath p && p.fs == fs && p.absolute == absolute && p.names.equals(names);
    }

    @Override
    public int hashCode() {
        return Objects.hash(absolute, names);
    }

    @Override
    public String toString() {
        return new String(toBytes(), StandardCharsets.UTF_8);
    }
}
