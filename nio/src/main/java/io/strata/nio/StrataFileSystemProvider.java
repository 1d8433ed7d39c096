package io.strata.nio;

import io.strata.core.Access;
import io.strata.core.Attr;
import io.strata.core.Created;
import io.strata.core.Entry;
import io.strata.core.FileSystem;
import io.strata.core.FileType;
import io.strata.core.FsException;
import io.strata.core.Name;
import io.strata.core.OpenFlags;
import io.strata.core.Opened;
import io.strata.core.SetAttr;
import io.strata.ext2.Ext2FileSystem;
import io.strata.ext2.Ext2Options;
import io.strata.core.Errno;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AccessMode;
import java.nio.file.CopyOption;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileStore;
import java.nio.file.FileSystemAlreadyExistsException;
import java.nio.file.FileSystemNotFoundException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.ProviderMismatchException;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileAttributeView;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.spi.FileSystemProvider;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The java.nio provider over any Strata stack (scheme "strata"). Three ways in:
 * <ul>
 * <li>{@link StrataNio#open(io.strata.core.FileSystem, io.strata.core.Caller)}: a view of a file
 * system the caller built (memory, passthrough, ext2, a union, a verity stack ...), which it keeps
 * owning; the view has a Session of its own;</li>
 * <li>{@code FileSystems.newFileSystem(URI.create("strata:ext2:/path/disk.img"), env)}, also
 * {@code strata:dir:/host/dir} (passthrough) and {@code strata:memory:NAME}: the provider opens
 * the backend and closes it with the view (env: {@code readOnly}, {@code cacheBytes} and
 * {@code cacheMode} for ext2, {@code uid}/{@code gid}: whose operations they are, default root);</li>
 * <li>{@code FileSystems.newFileSystem(Path.of("disk.img"))}: an ext2 image, recognised by its
 * superblock magic.</li>
 * </ul>
 * A path's URI is {@code strata:KEY!/path}, the path's bytes percent-encoded.
 */
public final class StrataFileSystemProvider extends FileSystemProvider {
    /** The file systems opened by URI, by key ("ext2:/abs/img", "dir:/abs/dir", "memory:name"). */
    private final Map<String, StrataFileSystem> open = new ConcurrentHashMap<>();

    @Override
    public String getScheme() {
        return "strata";
    }

    /** The key of a strata: URI: the part before '!', with paths made absolute. */
    private static String keyOf(URI uri) {
        if (!"strata".equals(uri.getScheme())) throw new IllegalArgumentException("not a strata: URI: " + uri);
        String s = uri.getSchemeSpecificPart();
        int bang = s.indexOf('!');
        if (bang >= 0) s = s.substring(0, bang);
        int colon = s.indexOf(':');
        if (colon < 0) throw new IllegalArgumentException("expected strata:ext2:IMAGE, strata:dir:DIR or strata:memory:NAME, not " + uri);
        String kind = s.substring(0, colon), arg = s.substring(colon + 1);
        return switch (kind) {
            case "ext2", "dir" -> kind + ":" + Path.of(arg).toAbsolutePath().normalize();
            case "memory" -> kind + ":" + arg;
            default -> throw new IllegalArgumentException("unknown backend '" + kind + "' in " + uri + " (ext2, dir or memory)");
        };
    }

    @Override
    public java.nio.file.FileSystem newFileSystem(URI uri, Map<String, ?> env) throws IOException {
        String key = keyOf(uri);
        synchronized (open) {
            if (open.containsKey(key)) throw new FileSystemAlreadyExistsException(key);
            String arg = key.substring(key.indexOf(':') + 1);
            io.strata.core.FileSystem fs = switch (key.substring(0, key.indexOf(':'))) {
                case "ext2" -> Ext2FileSystem.open(Path.of(arg), Ext2Options.fromMap(env));
                case "dir" -> io.strata.passthrough.PassthroughFileSystem.open(Path.of(arg), io.strata.passthrough.PassthroughOptions.defaults()
                        .withReadOnly(Boolean.parseBoolean(String.valueOf(env.get("readOnly")))));
                default -> new io.strata.memory.MemoryFileSystem(io.strata.memory.MemoryOptions.defaults(0, 0));
            };
            StrataFileSystem v = new StrataFileSystem(this, key, fs, fs, callerOf(env));
            open.put(key, v);
            return v;
        }
    }

    private static io.strata.core.Caller callerOf(Map<String, ?> env) {
        Object uid = env.get("uid"), gid = env.get("gid");
        if (uid == null && gid == null) return io.strata.core.Caller.ROOT;
        int u = uid == null ? 0 : Integer.parseInt(String.valueOf(uid)), g = gid == null ? u : Integer.parseInt(String.valueOf(gid));
        return io.strata.core.Caller.of(u, g);
    }

    @Override
    public java.nio.file.FileSystem newFileSystem(Path image, Map<String, ?> env) throws IOException {
        if (!isExt2(image)) throw new UnsupportedOperationException(image + " is not an ext2 image");
        return newFileSystem(URI.create("strata:ext2:" + image.toAbsolutePath().normalize().toUri().getRawPath()), env);
    }

    private static final java.util.concurrent.atomic.AtomicLong VIEWS = new java.util.concurrent.atomic.AtomicLong();

    /** See {@link StrataNio#open(io.strata.core.FileSystem, io.strata.core.Caller)}. */
    static java.nio.file.FileSystem view(io.strata.core.FileSystem fs, io.strata.core.Caller caller) {
        return new StrataFileSystem(INSTANCE, "view:" + VIEWS.incrementAndGet(), fs, null, caller);
    }

    /** The provider views belong to (the installed one, if java.nio found ours). */
    static final StrataFileSystemProvider INSTANCE = installedOrNew();

    private static StrataFileSystemProvider installedOrNew() {
        for (FileSystemProvider p : FileSystemProvider.installedProviders()) {
            if (p instanceof StrataFileSystemProvider s) return s;
        }
        return new StrataFileSystemProvider();
    }

    /** True if the file carries the ext2 superblock magic. */
    static boolean isExt2(Path image) {
        if (!image.getFileSystem().equals(java.nio.file.FileSystems.getDefault()) || !Files.isRegularFile(image)) return false;
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(2);
            return ch.read(b, 1024 + 0x38) == 2 && (b.get(0) & 0xff) == 0x53 && (b.get(1) & 0xff) == 0xEF;
        } catch (IOException e) {
            return false;
        }
    }

    void closed(StrataFileSystem fs) {
        open.remove(fs.key(), fs);
    }

    @Override
    public java.nio.file.FileSystem getFileSystem(URI uri) {
        StrataFileSystem fs = open.get(keyOf(uri));
        if (fs == null) throw new FileSystemNotFoundException(uri.toString());
        return fs;
    }

    @Override
    public Path getPath(URI uri) {
        StrataFileSystem fs = (StrataFileSystem) getFileSystem(uri);
        String s = uri.getRawSchemeSpecificPart();
        int bang = s.indexOf('!');
        return bang >= 0 ? StrataPath.ofBytes(fs, percentDecode(s.substring(bang + 1))) : fs.getPath("/");
    }

    /** %XX escapes to bytes, everything else as its UTF-8 bytes. */
    private static byte[] percentDecode(String s) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%' && i + 2 < s.length()) {
                out.write(Integer.parseInt(s.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                out.writeBytes(String.valueOf(c).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
        }
        return out.toByteArray();
    }

    private static StrataPath p(Path path) {
        if (!(path instanceof StrataPath e)) throw new ProviderMismatchException();
        e.getFileSystem().checkOpen();
        return e;
    }

    private static FileSystem spi(Path path) {
        return p(path).getFileSystem().spi;
    }

    /** Whose operations these are: the identity the view was opened with. */
    private static io.strata.core.Caller who(Path path) {
        return p(path).getFileSystem().caller;
    }

    private static boolean follow(LinkOption... options) {
        for (LinkOption o : options) if (o == LinkOption.NOFOLLOW_LINKS) return false;
        return true;
    }

    /** (parent inode, name) of a path's last component. */
    private record Loc(long parent, Name name) {}

    private static Loc loc(Path path) throws IOException {
        StrataPath e = (StrataPath) p(path).toAbsolutePath().normalize();
        if (e.getNameCount() == 0) throw new IOException("the root has no parent: " + path);
        long parent = e.getFileSystem().resolve(e.getParent(), true);
        return new Loc(parent, e.lastName());
    }

    // ---- channels ----

    @Override
    public FileChannel newFileChannel(Path path, Set<? extends OpenOption> options, FileAttribute<?>... attrs) throws IOException {
        return (FileChannel) newByteChannel(path, options, attrs);
    }

    @Override
    public SeekableByteChannel newByteChannel(Path path, Set<? extends OpenOption> options, FileAttribute<?>... attrs)
            throws IOException {
        FileSystem fs = spi(path);
        boolean write = options.contains(StandardOpenOption.WRITE) || options.contains(StandardOpenOption.APPEND);
        boolean append = options.contains(StandardOpenOption.APPEND);
        boolean create = options.contains(StandardOpenOption.CREATE) || options.contains(StandardOpenOption.CREATE_NEW);
        int flags = (write ? (options.contains(StandardOpenOption.READ) ? OpenFlags.O_RDWR : OpenFlags.O_WRONLY) : OpenFlags.O_RDONLY)
                | (append ? OpenFlags.O_APPEND : 0)
                | (options.contains(StandardOpenOption.TRUNCATE_EXISTING) && write ? OpenFlags.O_TRUNC : 0);
        try {
            long ino;
            Opened o;
            long existing = -1;
            if (!options.contains(StandardOpenOption.CREATE_NEW)) {
                try {
                    LinkOption[] lo = options.stream().filter(x -> x instanceof LinkOption).toArray(LinkOption[]::new);
                    existing = p(path).getFileSystem().resolve(path, follow(lo));
                } catch (java.nio.file.NoSuchFileException e) {
                    if (!create || !write) throw e;
                }
            }
            if (existing >= 0) {
                ino = existing;
                if (FileType.isDir(fs.getattr(who(path), ino, -1).attr().mode())) {
                    throw new java.nio.file.FileSystemException(path.toString(), null, "is a directory");
                }
                o = fs.open(who(path), ino, flags);
            } else {
                if (!write) throw new java.nio.file.NoSuchFileException(path.toString());
                Loc l = loc(path);
                int mode = modeFrom(attrs, 0644);
                Created c = fs.create(who(path), l.parent(), l.name(), mode, flags & ~OpenFlags.O_TRUNC, 0);
                p(path).getFileSystem().hold(c.entry().ino());
                ino = c.entry().ino();
                o = c.opened();
            }
            p(path).getFileSystem().spi.retain(ino, 1); // the channel's own reference, given back at close
            return new StrataFileChannel(fs, who(path), ino, o.fh(), write, append, options.contains(StandardOpenOption.READ) || !write, path);
        } catch (FsException e) {
            throw StrataFileSystem.io(e, path);
        }
    }

    private static int modeFrom(FileAttribute<?>[] attrs, int dflt) {
        for (FileAttribute<?> a : attrs) {
            if (a.name().equals("posix:permissions")) {
                @SuppressWarnings("unchecked")
                Set<PosixFilePermission> perms = (Set<PosixFilePermission>) a.value();
                return permBits(perms);
            }
            throw new UnsupportedOperationException("attribute " + a.name());
        }
        return dflt;
    }

    static int permBits(Set<PosixFilePermission> perms) {
        int m = 0;
        for (PosixFilePermission x : perms) m |= 1 << (8 - x.ordinal());
        return m;
    }

    // ---- directories ----

    @Override
    public DirectoryStream<Path> newDirectoryStream(Path dir, DirectoryStream.Filter<? super Path> filter) throws IOException {
        FileSystem fs = spi(dir);
        long ino = p(dir).getFileSystem().resolve(dir, true);
        List<Path> entries = new ArrayList<>();
        try {
            if (!FileType.isDir(fs.getattr(who(dir), ino, -1).attr().mode())) {
                throw new java.nio.file.NotDirectoryException(dir.toString());
            }
            List<Name> names = io.strata.core.DirNames.read(fs, who(dir), ino);
            for (Name n : names) {
                Path child = p(dir).child(n);
                if (filter == null || filter.accept(child)) entries.add(child);
            }
        } catch (FsException e) {
            throw StrataFileSystem.io(e, dir);
        }
        return new DirectoryStream<>() {
            boolean used;

            @Override
            public Iterator<Path> iterator() {
                if (used) throw new IllegalStateException("iterator already obtained");
                used = true;
                return entries.iterator();
            }

            @Override
            public void close() {}
        };
    }

    @Override
    public void createDirectory(Path dir, FileAttribute<?>... attrs) throws IOException {
        Loc l = loc(dir);
        try {
            Entry e = spi(dir).mkdir(who(dir), l.parent(), l.name(), modeFrom(attrs, 0755), 0);
            spi(dir).forget(e.ino(), 1);
        } catch (FsException e) {
            throw StrataFileSystem.io(e, dir);
        }
    }

    @Override
    public void createSymbolicLink(Path link, Path target, FileAttribute<?>... attrs) throws IOException {
        Loc l = loc(link);
        try {
            byte[] t = target instanceof StrataPath x ? x.toBytes()
                    : target.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
            Entry e = spi(link).symlink(who(link), l.parent(), l.name(), t);
            spi(link).forget(e.ino(), 1);
        } catch (FsException e) {
            throw StrataFileSystem.io(e, link);
        }
    }

    @Override
    public void createLink(Path link, Path existing) throws IOException {
        long ino = p(existing).getFileSystem().resolve(existing, false);
        Loc l = loc(link);
        try {
            spi(link).forget(spi(link).link(who(link), ino, l.parent(), l.name()).ino(), 1);
        } catch (FsException e) {
            throw StrataFileSystem.io(e, link);
        }
    }

    @Override
    public Path readSymbolicLink(Path link) throws IOException {
        long ino = p(link).getFileSystem().resolve(link, false);
        try {
            return StrataPath.ofBytes(p(link).getFileSystem(), spi(link).readlink(who(link), ino));
        } catch (FsException e) {
            if (e.errno() == Errno.EINVAL) throw new java.nio.file.NotLinkException(link.toString());
            throw StrataFileSystem.io(e, link);
        }
    }

    @Override
    public void delete(Path path) throws IOException {
        Loc l = loc(path);
        FileSystem fs = spi(path);
        try {
            Entry e = fs.lookup(who(path), l.parent(), l.name());
            fs.forget(e.ino(), 1);
            if (e.attr().isDirectory()) fs.rmdir(who(path), l.parent(), l.name());
            else fs.unlink(who(path), l.parent(), l.name());
            p(path).getFileSystem().drop(e.ino());
        } catch (FsException e) {
            throw StrataFileSystem.io(e, path);
        }
    }

    @Override
    public void copy(Path source, Path target, CopyOption... options) throws IOException {
        boolean replace = List.of(options).contains(StandardCopyOption.REPLACE_EXISTING);
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            if (!replace) throw new FileAlreadyExistsException(target.toString());
            Files.delete(target);
        }
        BasicFileAttributes a = readAttributes(source, BasicFileAttributes.class);
        if (a.isDirectory()) {
            createDirectory(target);
        } else if (a.isSymbolicLink()) {
            createSymbolicLink(target, readSymbolicLink(source));
        } else {
            try (SeekableByteChannel in = newByteChannel(source, Set.of(StandardOpenOption.READ));
                 SeekableByteChannel out = newByteChannel(target, Set.of(StandardOpenOption.WRITE,
                         StandardOpenOption.CREATE_NEW))) {
                ByteBuffer b = ByteBuffer.allocate(1 << 20);
                while (in.read(b.clear()) > 0) {
                    b.flip();
                    while (b.hasRemaining()) out.write(b);
                }
            }
        }
        if (List.of(options).contains(StandardCopyOption.COPY_ATTRIBUTES)) {
            getFileAttributeView(target, BasicFileAttributeView.class).setTimes(a.lastModifiedTime(), a.lastAccessTime(), null);
        }
    }

    @Override
    public void move(Path source, Path target, CopyOption... options) throws IOException {
        boolean replace = List.of(options).contains(StandardCopyOption.REPLACE_EXISTING);
        Loc s = loc(source), t = loc(target);
        try {
            spi(source).rename(who(source), s.parent(), s.name(), t.parent(), t.name(),
                    replace ? 0 : FileSystem.RENAME_NOREPLACE);
        } catch (FsException e) {
            throw StrataFileSystem.io(e, e.errno() == Errno.EEXIST ? target : source);
        }
    }

    @Override
    public boolean isSameFile(Path a, Path b) throws IOException {
        if (a.equals(b)) return true;
        if (!(a instanceof StrataPath) || !(b instanceof StrataPath) || a.getFileSystem() != b.getFileSystem()) return false;
        return p(a).getFileSystem().resolve(a, true) == p(b).getFileSystem().resolve(b, true);
    }

    @Override
    public boolean isHidden(Path path) {
        Name f = p(path).lastName();
        return f != null && f.startsWith(".");
    }

    @Override
    public FileStore getFileStore(Path path) {
        throw new UnsupportedOperationException("file stores");
    }

    @Override
    public void checkAccess(Path path, AccessMode... modes) throws IOException {
        long ino = p(path).getFileSystem().resolve(path, true);
        int mask = 0;
        for (AccessMode m : modes) mask |= m == AccessMode.READ ? Access.R : m == AccessMode.WRITE ? Access.W : Access.X;
        try {
            spi(path).access(who(path), ino, mask);
        } catch (FsException e) {
            throw StrataFileSystem.io(e, path);
        }
    }

    // ---- attributes ----

    private record Attrs(Attr a) implements PosixFileAttributes {
        private static FileTime t(long ns) { return FileTime.from(ns, TimeUnit.NANOSECONDS); }
        @Override public FileTime lastModifiedTime() { return t(a.mtimeNs()); }
        @Override public FileTime lastAccessTime() { return t(a.atimeNs()); }
        @Override public FileTime creationTime() { return t(a.ctimeNs()); }
        @Override public boolean isRegularFile() { return FileType.isReg(a.mode()); }
        @Override public boolean isDirectory() { return FileType.isDir(a.mode()); }
        @Override public boolean isSymbolicLink() { return FileType.isLink(a.mode()); }
        @Override public boolean isOther() { return !isRegularFile() && !isDirectory() && !isSymbolicLink(); }
        @Override public long size() { return a.size(); }
        @Override public Object fileKey() { return a.ino(); }
        @Override public UserPrincipal owner() { return new Id("" + a.uid()); }
        @Override public GroupPrincipal group() { return new Id("" + a.gid()); }

        @Override
        public Set<PosixFilePermission> permissions() {
            Set<PosixFilePermission> s = EnumSet.noneOf(PosixFilePermission.class);
            for (PosixFilePermission x : PosixFilePermission.values()) if ((a.mode() & (1 << (8 - x.ordinal()))) != 0) s.add(x);
            return s;
        }
    }

    private record Id(String getName) implements GroupPrincipal {}

    private Attr stat(Path path, LinkOption... options) throws IOException {
        long ino = p(path).getFileSystem().resolve(path, follow(options));
        try {
            return spi(path).getattr(who(path), ino, -1).attr();
        } catch (FsException e) {
            throw StrataFileSystem.io(e, path);
        }
    }

    @Override
    @SuppressWarnings("unchecked")
    public <A extends BasicFileAttributes> A readAttributes(Path path, Class<A> type, LinkOption... options)
            throws IOException {
        if (type != BasicFileAttributes.class && type != PosixFileAttributes.class) {
            throw new UnsupportedOperationException(type.getName());
        }
        return (A) new Attrs(stat(path, options));
    }

    @Override
    public Map<String, Object> readAttributes(Path path, String attributes, LinkOption... options) throws IOException {
        String view = "basic", list = attributes;
        int colon = attributes.indexOf(':');
        if (colon >= 0) {
            view = attributes.substring(0, colon);
            list = attributes.substring(colon + 1);
        }
        if (!view.equals("basic") && !view.equals("posix") && !view.equals("unix")) {
            throw new UnsupportedOperationException("view " + view);
        }
        Attr raw = stat(path, options);
        Attrs a = new Attrs(raw);
        Map<String, Object> all = new HashMap<>();
        all.put("lastModifiedTime", a.lastModifiedTime());
        all.put("lastAccessTime", a.lastAccessTime());
        all.put("creationTime", a.creationTime());
        all.put("size", a.size());
        all.put("isRegularFile", a.isRegularFile());
        all.put("isDirectory", a.isDirectory());
        all.put("isSymbolicLink", a.isSymbolicLink());
        all.put("isOther", a.isOther());
        all.put("fileKey", a.fileKey());
        if (!view.equals("basic")) {
            all.put("permissions", a.permissions());
            all.put("owner", a.owner());
            all.put("group", a.group());
        }
        if (view.equals("unix")) {
            all.put("mode", raw.mode());
            all.put("uid", raw.uid());
            all.put("gid", raw.gid());
            all.put("nlink", raw.nlink());
            all.put("ino", raw.ino());
            all.put("rdev", (long) raw.rdev());
        }
        if (list.equals("*")) return all;
        Map<String, Object> out = new HashMap<>();
        for (String k : list.split(",")) {
            if (!all.containsKey(k)) throw new IllegalArgumentException("unknown attribute " + k);
            out.put(k, all.get(k));
        }
        return out;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <V extends FileAttributeView> V getFileAttributeView(Path path, Class<V> type, LinkOption... options) {
        if (type != BasicFileAttributeView.class && type != PosixFileAttributeView.class) return null;
        return (V) new View(path, options);
    }

    private final class View implements PosixFileAttributeView {
        private final Path path;
        private final LinkOption[] options;

        View(Path path, LinkOption[] options) {
            this.path = path;
            this.options = options;
        }

        @Override public String name() { return "posix"; }
        @Override public PosixFileAttributes readAttributes() throws IOException { return new Attrs(stat(path, options)); }

        private void set(SetAttr s) throws IOException {
            long ino = p(path).getFileSystem().resolve(path, follow(options));
            try {
                spi(path).setattr(who(path), ino, s);
            } catch (FsException e) {
                throw StrataFileSystem.io(e, path);
            }
        }

        @Override
        public void setTimes(FileTime mtime, FileTime atime, FileTime ctime) throws IOException {
            int valid = (mtime != null ? SetAttr.MTIME : 0) | (atime != null ? SetAttr.ATIME : 0);
            if (valid == 0) return;
            set(new SetAttr(valid, 0, 0, 0, 0, atime == null ? 0 : atime.to(TimeUnit.NANOSECONDS),
                    mtime == null ? 0 : mtime.to(TimeUnit.NANOSECONDS), 0, -1));
        }

        @Override
        public void setPermissions(Set<PosixFilePermission> perms) throws IOException {
            int keep = stat(path, options).mode() & 07000;
            set(SetAttr.mode(keep | permBits(perms)));
        }

        @Override
        public void setOwner(UserPrincipal owner) throws IOException {
            set(new SetAttr(SetAttr.UID, 0, Integer.parseInt(owner.getName()), 0, 0, 0, 0, 0, -1));
        }

        @Override
        public void setGroup(GroupPrincipal group) throws IOException {
            set(new SetAttr(SetAttr.GID, 0, 0, Integer.parseInt(group.getName()), 0, 0, 0, 0, -1));
        }

        @Override public UserPrincipal getOwner() throws IOException { return readAttributes().owner(); }
    }

    @Override
    @SuppressWarnings("unchecked")
    public void setAttribute(Path path, String attribute, Object value, LinkOption... options) throws IOException {
        String name = attribute.contains(":") ? attribute.substring(attribute.indexOf(':') + 1) : attribute;
        View v = new View(path, options);
        switch (name) {
            case "lastModifiedTime" -> v.setTimes((FileTime) value, null, null);
            case "lastAccessTime" -> v.setTimes(null, (FileTime) value, null);
            case "permissions" -> v.setPermissions((Set<PosixFilePermission>) value);
            case "owner" -> v.setOwner((UserPrincipal) value);
            case "group" -> v.setGroup((GroupPrincipal) value);
            default -> throw new UnsupportedOperationException("attribute " + attribute);
        }
    }
}
