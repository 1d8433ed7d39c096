package io.strata.nio;

import io.strata.core.Caller;
import io.strata.core.Entry;
import io.strata.core.FileSystem;
import io.strata.core.FileType;
import io.strata.core.FsException;
import io.strata.core.Name;
import io.strata.core.Session;
import io.strata.core.Errno;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileStore;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.FileSystems;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.ReadOnlyFileSystemException;
import java.nio.file.WatchService;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.nio.file.spi.FileSystemProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A java.nio FileSystem over any Strata file system, through a Session of its own, as one
 * {@link Caller} (the SPI checks every operation against it). Path walking happens here (the SPI is inode-based): each component is looked up and the
 * lookup reference dropped again at once, symlinks followed where asked (at most 40).
 */
final class StrataFileSystem extends java.nio.file.FileSystem {
    private final StrataFileSystemProvider provider;
    private final String key;
    private final io.strata.core.FileSystem owned; // closed with the view; null for a view of someone else's
    /** What every operation goes through. */
    final Session spi;
    /** Whose operations these are: the SPI checks every one against this identity. */
    final Caller caller;
    private volatile boolean open = true;

    /**
     * Inodes this view holds one lookup reference to, with when each was last used. A path's
     * inode must stay valid while an operation uses it (a backend may drop an inode the moment its
     * last reference goes: passthrough does), so a lookup's reference is kept here rather than
     * given back at once; an inode idle for a while is let go when the table grows large. Open
     * channels hold references of their own.
     */
    private final java.util.concurrent.ConcurrentHashMap<Long, Long> held = new java.util.concurrent.ConcurrentHashMap<>();
    private static final int HELD_SOFT_LIMIT = 50_000;
    private static final long IDLE_NS = 10_000_000_000L;

    /**
     * A view of {@code served} as {@code caller}, through a Session of its own. Closing the view
     * detaches that session (giving back every reference) and closes {@code owned} if not null.
     */
    StrataFileSystem(StrataFileSystemProvider provider, String key, io.strata.core.FileSystem served,
                     io.strata.core.FileSystem owned, Caller caller) {
        this.provider = provider;
        this.key = key;
        this.owned = owned;
        this.caller = caller;
        this.spi = Session.attach(served, "nio " + key, null);
    }

    /** Keeps the reference a lookup/create just returned for {@code ino} (one per inode: extras go back). */
    void hold(long ino) {
        if (ino == FileSystem.ROOT) return;
        long now = System.nanoTime();
        if (held.put(ino, now) != null) spi.forget(ino, 1);
        if (held.size() > HELD_SOFT_LIMIT) trim(now);
    }

    /** Gives back the reference held for {@code ino} (after a delete: an unlinked inode must be freed). */
    void drop(long ino) {
        if (held.remove(ino) != null) spi.forget(ino, 1);
    }

    /** How many inodes this view holds a reference to (tests: exactly one per inode, no more). */
    int heldCount() {
        return held.size();
    }

    private synchronized void trim(long now) {
        for (var e : held.entrySet()) {
            if (now - e.getValue() > IDLE_NS && held.remove(e.getKey(), e.getValue())) spi.forget(e.getKey(), 1);
        }
    }

    /** What the view is of: "ext2:/abs/img", "dir:/abs/dir", "memory:name" or "view:N". */
    String key() {
        return key;
    }

    @Override public FileSystemProvider provider() { return provider; }

    @Override
    public void close() throws IOException {
        if (!open) return;
        open = false;
        provider.closed(this);
        spi.close(); // gives back every reference this view still held
        held.clear();
        if (owned != null) owned.close();
    }

    @Override public boolean isOpen() { return open; }
    @Override public boolean isReadOnly() { return spi.readOnly(); }
    @Override public String getSeparator() { return "/"; }
    @Override public Iterable<Path> getRootDirectories() { return List.of(new StrataPath(this, "/")); }
    @Override public Iterable<FileStore> getFileStores() { return List.of(); }
    @Override public Set<String> supportedFileAttributeViews() { return Set.of("basic", "posix"); }

    @Override
    public Path getPath(String first, String... more) {
        StringBuilder sb = new StringBuilder(first);
        for (String m : more) sb.append('/').append(m);
        return new StrataPath(this, sb.toString());
    }

    @Override
    public PathMatcher getPathMatcher(String syntaxAndPattern) {
        PathMatcher m = FileSystems.getDefault().getPathMatcher(syntaxAndPattern);
        return p -> m.matches(Path.of(p.toString()));
    }

    @Override public UserPrincipalLookupService getUserPrincipalLookupService() { throw new UnsupportedOperationException(); }
    @Override public WatchService newWatchService() { throw new UnsupportedOperationException(); }

    void checkOpen() {
        if (!open) throw new java.nio.file.ClosedFileSystemException();
    }

    /** Inode of a path; follows symlinks in every component, and in the last if {@code followLast}. */
    long resolve(Path path, boolean followLast) throws IOException {
        checkOpen();
        List<Name> todo = new ArrayList<>(((StrataPath) path.toAbsolutePath()).names());
        List<Long> stack = new ArrayList<>();
        stack.add(FileSystem.ROOT);
        int hops = 0;
        try {
            while (!todo.isEmpty()) {
                Name n = todo.remove(0);
                long cur = stack.get(stack.size() - 1);
                if (n.isDot()) continue;
                if (n.isDotDot()) {
                    if (stack.size() > 1) stack.remove(stack.size() - 1);
                    continue;
                }
                Entry e = spi.lookup(caller, cur, n);
                hold(e.ino());
                if (FileType.isLink(e.attr().mode()) && (followLast || !todo.isEmpty())) {
                    if (++hops > 40) throw new FileSystemLoopException(path.toString());
                    StrataPath target = StrataPath.ofBytes(this, spi.readlink(caller, e.ino()));
                    if (target.isAbsolute()) stack.subList(1, stack.size()).clear();
                    todo.addAll(0, target.names());
                    continue;
                }
                stack.add(e.ino());
            }
            return stack.get(stack.size() - 1);
        } catch (FsException e) {
            throw io(e, path);
        }
    }

    Path realPath(StrataPath p, LinkOption... options) throws IOException {
        resolve(p, true);
        return p.toAbsolutePath().normalize();
    }

    static IOException io(FsException e, Object path) {
        String p = String.valueOf(path);
        return switch (e.errno()) {
            case Errno.ENOENT -> new NoSuchFileException(p);
            case Errno.EEXIST -> new FileAlreadyExistsException(p);
            case Errno.ENOTEMPTY -> new DirectoryNotEmptyException(p);
            case Errno.ENOTDIR -> new NotDirectoryException(p);
            case Errno.EACCES, Errno.EPERM -> new AccessDeniedException(p, null, e.getMessage());
            case Errno.ELOOP -> new FileSystemLoopException(p);
            case Errno.EROFS -> throw new ReadOnlyFileSystemException();
            default -> new FileSystemException(p, null, e.getMessage());
        };
    }
}
