package io.strata.ext2.nio;

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
 * java.nio provider for ext2 images (scheme "ext2"). {@code FileSystems.newFileSystem(Path.of("disk.img"))}
 * recognises an image by its superblock magic; env keys: readOnly, cacheBytes, cacheMode. URIs look
 * like {@code ext2:file:///path/disk.img!/path/in/image} (the inner path's bytes percent-encoded).
 * All operations run as root, through the view's own {@link io.strata.core.Session}.
 */
public final class Ext2FileSystemProvider extends FileSystemProvider {
    private final Map<Path, Ext2NioFileSystem> open = new ConcurrentHashMap<>();

    @Override
    public String getScheme() {
        return "ext2";
    }

    private static Path imageOf(URI uri) {
        String s = uri.getSchemeSpecificPart();
        int bang = s.indexOf('!');
        if (bang >= 0) s = s.substring(0, bang);
        return (s.startsWith("file:") ? Path.of(URI.create(s)) : Path.of(s)).toAbsolutePath().normalize();
    }

    @Override
    public java.nio.file.FileSystem newFileSystem(URI uri, Map<String, ?> env) throws IOException {
        return newFileSystem(imageOf(uri), env);
    }

    @Override
    public java.nio.file.FileSystem newFileSystem(Path image, Map<String, ?> env) throws IOException {
        if (!isExt2(image)) throw new UnsupportedOperationException(image + " is not an ext2 image");
        Path key = image.toAbsolutePath().normalize();
        synchronized (open) {
            if (open.containsKey(key)) throw new FileSystemAlreadyExistsException(key.toString());
            Ext2NioFileSystem fs = new Ext2NioFileSystem(this, key, Ext2FileSystem.open(key, Ext2Options.fromMap(env)));
            open.put(key, fs);
            return fs;
        }
    }

    private static final java.util.concurrent.atomic.AtomicLong VIEWS = new java.util.concurrent.atomic.AtomicLong();

    /**
     * A java.nio view of any Strata file system (memory, passthrough, a stack), as root, beside
     * whatever else serves it (FUSE mounts, other views): it attaches a Session of its own, and
     * closing the view detaches that session without closing {@code fs}. Names are UTF-8 at this
     * edge. (The provider lives with ext2 for now; a frontend module of its own is issue 12.)
     */
    public static java.nio.file.FileSystem view(io.strata.core.FileSystem fs) {
        return new Ext2NioFileSystem(new Ext2FileSystemProvider(), Path.of("/strata-view-" + VIEWS.incrementAndGet()), fs);
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

    void closed(Ext2NioFileSystem fs) {
        open.remove(fs.image(), fs);
    }

    @Override
    public java.nio.file.FileSystem getFileSystem(URI uri) {
        Ext2NioFileSystem fs = open.get(imageOf(uri));
        if (fs == null) throw new FileSystemNotFoundException(uri.toString());
        return fs;
    }

    @Override
    public Path getPath(URI uri) {
        Ext2NioFileSystem fs = (Ext2NioFileSystem) getFileSystem(uri);
        String s = uri.getRawSchemeSpecificPart();
        int bang = s.indexOf('!');
        return bang >= 0 ? Ext2Path.ofBytes(fs, percentDecode(s.substring(bang + 1))) : fs.getPath("/");
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

    private static Ext2Path p(Path path) {
        if (!(path instanceof Ext2Path e)) throw new ProviderMismatchException();
        e.getFileSystem().checkOpen();
        return e;
    }

    private static FileSystem spi(Path path) {
        return p(path).getFileSystem().spi;
    }

    private static boolean follow(LinkOption... options) {
        for (LinkOption o : options) if (o == LinkOption.NOFOLLOW_LINKS) return false;
        return true;
    }

    /** (parent inode, name) of a path's last component. */
    private record Loc(long parent, Name name) {}

    private static Loc loc(Path path) throws IOException {
        Ext2Path e = (Ext2Path) p(path).toAbsolutePath().normalize();
        if (e.getNameCount() == 0) throw new IOException("the root has no parent: " + path);
        long parent = e.getFileSystem().resolve(e.getParent(), true);
        return new Loc(parent, e.lastName());
    }

    // ---- channels ----

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
                if (FileType.isDir(fs.getattr(Ext2NioFileSystem.ROOT, ino, -1).attr().mode())) {
                    throw new java.nio.file.FileSystemException(path.toString(), null, "is a directory");
                }
                o = fs.open(Ext2NioFileSystem.ROOT, ino, flags);
            } else {
                if (!write) throw new java.nio.file.NoSuchFileException(path.toString());
                Loc l = loc(path);
                int mode = modeFrom(attrs, 0644);
                Created c = fs.create(Ext2NioFileSystem.ROOT, l.parent(), l.name(), mode, flags & ~OpenFlags.O_TRUNC, 0);
                fs.forget(c.entry().ino(), 1);
                ino = c.entry().ino();
                o = c.opened();
            }
            return new Channel(fs, ino, o.fh(), write, append, options.contains(StandardOpenOption.READ) || !write, path);
        } catch (FsException e) {
            throw Ext2NioFileSystem.io(e, path);
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

    /** A seekable channel on one SPI file handle. */
    private static final class Channel implements SeekableByteChannel {
        private final FileSystem fs;
        private final long ino, fh;
        private final boolean write, append, read;
        private final Path path;
        private long pos;
        private boolean open = true;

        Channel(FileSystem fs, long ino, long fh, boolean write, boolean append, boolean read, Path path) {
            this.fs = fs;
            this.ino = ino;
            this.fh = fh;
            this.write = write;
            this.append = append;
            this.read = read;
            this.path = path;
        }

        private void check() throws IOException {
            if (!open) throw new java.nio.channels.ClosedChannelException();
        }

        @Override
        public synchronized int read(ByteBuffer dst) throws IOException {
            check();
            if (!read) throw new java.nio.channels.NonReadableChannelException();
            try {
                int n = fs.read(Ext2NioFileSystem.ROOT, ino, fh, pos, dst);
                if (n == 0 && dst.hasRemaining()) return -1;
                pos += n;
                return n;
            } catch (FsException e) {
                throw Ext2NioFileSystem.io(e, path);
            }
        }

        @Override
        public synchronized int write(ByteBuffer src) throws IOException {
            check();
            if (!write) throw new NonWritableChannelException();
            try {
                if (append) pos = size();
                int total = 0;
                while (src.hasRemaining()) {
                    int n = fs.write(Ext2NioFileSystem.ROOT, ino, fh, pos, src, 0);
                    pos += n;
                    total += n;
                }
                return total;
            } catch (FsException e) {
                throw Ext2NioFileSystem.io(e, path);
            }
        }

        @Override public synchronized long position() throws IOException { check(); return pos; }

        @Override
        public synchronized SeekableByteChannel position(long p) throws IOException {
            check();
            if (p < 0) throw new IllegalArgumentException();
            pos = p;
            return this;
        }

        @Override
        public synchronized long size() throws IOException {
            check();
            try {
                return fs.getattr(Ext2NioFileSystem.ROOT, ino, fh).attr().size();
            } catch (FsException e) {
                throw Ext2NioFileSystem.io(e, path);
            }
        }

        @Override
        public synchronized SeekableByteChannel truncate(long size) throws IOException {
            check();
            if (!write) throw new NonWritableChannelException();
            try {
                if (size < size()) {
                    fs.setattr(Ext2NioFileSystem.ROOT, ino, new SetAttr(SetAttr.SIZE, 0, 0, 0, size, 0, 0, 0, fh));
                }
                if (pos > size) pos = size;
                return this;
            } catch (FsException e) {
                throw Ext2NioFileSystem.io(e, path);
            }
        }

        @Override public synchronized boolean isOpen() { return open; }

        @Override
        public synchronized void close() {
            if (!open) return;
            open = false;
            fs.release(ino, fh, 0);
        }
    }

    // ---- directories ----

    @Override
    public DirectoryStream<Path> newDirectoryStream(Path dir, DirectoryStream.Filter<? super Path> filter) throws IOException {
        FileSystem fs = spi(dir);
        long ino = p(dir).getFileSystem().resolve(dir, true);
        List<Path> entries = new ArrayList<>();
        try {
            if (!FileType.isDir(fs.getattr(Ext2NioFileSystem.ROOT, ino, -1).attr().mode())) {
                throw new java.nio.file.NotDirectoryException(dir.toString());
            }
            List<Name> names = new ArrayList<>();
            fs.readdir(Ext2NioFileSystem.ROOT, ino, 0, 0, (n, i, t, next) -> names.add(n));
            for (Name n : names) {
                if (n.isDotOrDotDot()) continue;
                Path child = p(dir).child(n);
                if (filter == null || filter.accept(child)) entries.add(child);
            }
        } catch (FsException e) {
            throw Ext2NioFileSystem.io(e, dir);
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
            Entry e = spi(dir).mkdir(Ext2NioFileSystem.ROOT, l.parent(), l.name(), modeFrom(attrs, 0755), 0);
            spi(dir).forget(e.ino(), 1);
        } catch (FsException e) {
            throw Ext2NioFileSystem.io(e, dir);
        }
    }

    @Override
    public void createSymbolicLink(Path link, Path target, FileAttribute<?>... attrs) throws IOException {
        Loc l = loc(link);
        try {
            byte[] t = target instanceof Ext2Path x ? x.toBytes()
                    : target.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
            Entry e = spi(link).symlink(Ext2NioFileSystem.ROOT, l.parent(), l.name(), t);
            spi(link).forget(e.ino(), 1);
        } catch (FsException e) {
            throw Ext2NioFileSystem.io(e, link);
        }
    }

    @Override
    public void createLink(Path link, Path existing) throws IOException {
        long ino = p(existing).getFileSystem().resolve(existing, false);
        Loc l = loc(link);
        try {
            spi(link).forget(spi(link).link(Ext2NioFileSystem.ROOT, ino, l.parent(), l.name()).ino(), 1);
        } catch (FsException e) {
            throw Ext2NioFileSystem.io(e, link);
        }
    }

    @Override
    public Path readSymbolicLink(Path link) throws IOException {
        long ino = p(link).getFileSystem().resolve(link, false);
        try {
            return Ext2Path.ofBytes(p(link).getFileSystem(), spi(link).readlink(Ext2NioFileSystem.ROOT, ino));
        } catch (FsException e) {
            if (e.errno() == Errno.EINVAL) throw new java.nio.file.NotLinkException(link.toString());
            throw Ext2NioFileSystem.io(e, link);
        }
    }

    @Override
    public void delete(Path path) throws IOException {
        Loc l = loc(path);
        FileSystem fs = spi(path);
        try {
            Entry e = fs.lookup(Ext2NioFileSystem.ROOT, l.parent(), l.name());
            fs.forget(e.ino(), 1);
            if (e.attr().isDirectory()) fs.rmdir(Ext2NioFileSystem.ROOT, l.parent(), l.name());
            else fs.unlink(Ext2NioFileSystem.ROOT, l.parent(), l.name());
        } catch (FsException e) {
            throw Ext2NioFileSystem.io(e, path);
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
            spi(source).rename(Ext2NioFileSystem.ROOT, s.parent(), s.name(), t.parent(), t.name(),
                    replace ? 0 : FileSystem.RENAME_NOREPLACE);
        } catch (FsException e) {
            throw Ext2NioFileSystem.io(e, e.errno() == Errno.EEXIST ? target : source);
        }
    }

    @Override
    public boolean isSameFile(Path a, Path b) throws IOException {
        if (a.equals(b)) return true;
        if (!(a instanceof Ext2Path) || !(b instanceof Ext2Path) || a.getFileSystem() != b.getFileSystem()) return false;
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
            spi(path).access(Ext2NioFileSystem.ROOT, ino, mask);
        } catch (FsException e) {
            throw Ext2NioFileSystem.io(e, path);
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
            return spi(path).getattr(Ext2NioFileSystem.ROOT, ino, -1).attr();
        } catch (FsException e) {
            throw Ext2NioFileSystem.io(e, path);
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
                spi(path).setattr(Ext2NioFileSystem.ROOT, ino, s);
            } catch (FsException e) {
                throw Ext2NioFileSystem.io(e, path);
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
