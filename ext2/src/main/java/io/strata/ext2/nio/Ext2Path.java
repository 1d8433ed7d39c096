package io.strata.ext2.nio;

import java.net.URI;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.ProviderMismatchException;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** A path inside an ext2 image: '/'-separated names, absolute or relative (to the root). */
final class Ext2Path implements Path {
    private final Ext2NioFileSystem fs;
    private final boolean absolute;
    private final List<String> names;

    Ext2Path(Ext2NioFileSystem fs, String path) {
        this(fs, path.startsWith("/"), split(path));
    }

    Ext2Path(Ext2NioFileSystem fs, boolean absolute, List<String> names) {
        this.fs = fs;
        this.absolute = absolute;
        this.names = List.copyOf(names);
    }

    private static List<String> split(String p) {
        List<String> out = new ArrayList<>();
        for (String s : p.split("/")) if (!s.isEmpty()) out.add(s);
        return out;
    }

    List<String> names() {
        return names;
    }

    private static Ext2Path check(Path p) {
        if (!(p instanceof Ext2Path e)) throw new ProviderMismatchException();
        return e;
    }

    @Override public Ext2NioFileSystem getFileSystem() { return fs; }
    @Override public boolean isAbsolute() { return absolute; }
    @Override public Path getRoot() { return absolute ? new Ext2Path(fs, true, List.of()) : null; }

    @Override
    public Path getFileName() {
        return names.isEmpty() ? null : new Ext2Path(fs, false, List.of(names.get(names.size() - 1)));
    }

    @Override
    public Path getParent() {
        if (names.isEmpty()) return null;
        if (names.size() == 1 && !absolute) return null;
        return new Ext2Path(fs, absolute, names.subList(0, names.size() - 1));
    }

    @Override public int getNameCount() { return names.size(); }

    @Override
    public Path getName(int index) {
        return new Ext2Path(fs, false, List.of(names.get(index)));
    }

    @Override
    public Path subpath(int begin, int end) {
        return new Ext2Path(fs, false, names.subList(begin, end));
    }

    @Override
    public boolean startsWith(Path other) {
        Ext2Path o = check(other);
        return o.absolute == absolute && o.names.size() <= names.size() && names.subList(0, o.names.size()).equals(o.names);
    }

    @Override
    public boolean endsWith(Path other) {
        Ext2Path o = check(other);
        if (o.absolute) return equals(o);
        int n = names.size(), m = o.names.size();
        return m <= n && names.subList(n - m, n).equals(o.names);
    }

    @Override
    public Path normalize() {
        List<String> out = new ArrayList<>();
        for (String s : names) {
            if (s.equals(".")) continue;
            if (s.equals("..") && !out.isEmpty() && !out.get(out.size() - 1).equals("..")) out.remove(out.size() - 1);
            else if (s.equals("..") && absolute) continue;
            else out.add(s);
        }
        return new Ext2Path(fs, absolute, out);
    }

    @Override
    public Path resolve(Path other) {
        Ext2Path o = check(other);
        if (o.absolute) return o;
        List<String> all = new ArrayList<>(names);
        all.addAll(o.names);
        return new Ext2Path(fs, absolute, all);
    }

    @Override
    public Path resolve(String other) {
        return resolve(new Ext2Path(fs, other));
    }

    @Override
    public Path relativize(Path other) {
        Ext2Path o = check(other);
        if (o.absolute != absolute) throw new IllegalArgumentException("one path is absolute, the other not");
        int common = 0;
        while (common < names.size() && common < o.names.size() && names.get(common).equals(o.names.get(common))) common++;
        List<String> out = new ArrayList<>();
        for (int i = common; i < names.size(); i++) out.add("..");
        out.addAll(o.names.subList(common, o.names.size()));
        return new Ext2Path(fs, false, out);
    }

    @Override
    public URI toUri() {
        return URI.create("ext2:" + fs.image().toUri() + "!" + toAbsolutePath());
    }

    @Override
    public Path toAbsolutePath() {
        return absolute ? this : new Ext2Path(fs, true, names);
    }

    @Override
    public Path toRealPath(LinkOption... options) throws java.io.IOException {
        return fs.realPath(this, options);
    }

    @Override
    public WatchKey register(WatchService watcher, WatchEvent.Kind<?>[] events, WatchEvent.Modifier... modifiers) {
        throw new UnsupportedOperationException("watch service");
    }

    @Override
    public int compareTo(Path other) {
        return toString().compareTo(check(other).toString());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Ext2Path p && p.fs == fs && p.absolute == absolute && p.names.equals(names);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(new Object[] {absolute, names});
    }

    @Override
    public String toString() {
        return (absolute ? "/" : "") + String.join("/", names);
    }
}
