package io.strata.ext2.nio;

import io.strata.core.Caller;
import io.strata.core.Entry;
import io.strata.core.FileSystem;
import io.strata.core.FileType;
import io.strata.core.FsException;
import io.strata.core.Name;
import io.strata.core.Session;
import io.strata.ext2.Ext2FileSystem;
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
 * A java.nio FileSystem over one ext2 image, implemented on the {@link Ext2FileSystem} SPI object
 * as root. Path walking happens here (the SPI is inode-based): each component is looked up and the
 * lookup reference dropped again at once, symlinks followed where asked (at most 40).
 */
final class Ext2NioFileSystem extends java.nio.file.FileSystem {
    static final Caller ROOT = Caller.ROOT;

    private final Ext2FileSystemProvider provider;
    private final Path image;
    private final Ext2FileSystem owned; // null for a view of a file system someone else owns
    /** What every operation goes through. */
    final Session spi;
    private volatile boolean open = true;

    Ext2NioFileSystem(Ext2FileSystemProvider provider, Path image, Ext2FileSystem owned) {
        this.provider = provider;
        this.image = image;
        this.owned = owned;
        this.spi = Session.attach(owned, "nio " + image, null);
    }

    /**
     * A view of any Strata file system, served through a Session of its own: closing the view
     * detaches that session and leaves the file system to its owner.
     */
    Ext2NioFileSystem(Ext2FileSystemProvider provider, Path label, io.strata.core.FileSystem served) {
        this.provider = provider;
        this.image = label;
        this.owned = null;
        this.spi = Session.attach(served, "nio view " + label, null);
    }

    Path image() {
        return image;
    }

    @Override public FileSystemProvider provider() { return provider; }

    @Override
    public void close() throws IOException {
        if (!open) return;
        open = false;
        provider.closed(this);
        spi.close(); // releases what this view still held, then the image is unmounted
        if (owned != null) owned.unmount();
    }

    @Override public boolean isOpen() { return open; }
    @Override public boolean isReadOnly() { return spi.readOnly(); }
    @Override public String getSeparator() { return "/"; }
    @Override public Iterable<Path> getRootDirectories() { return List.of(new Ext2Path(this, "/")); }
    @Override public Iterable<FileStore> getFileStores() { return List.of(); }
    @Override public Set<String> supportedFileAttributeViews() { return Set.of("basic", "posix"); }

    @Override
    public Path getPath(String first, String... more) {
        StringBuilder sb = new StringBuilder(first);
        for (String m : more) sb.append('/').append(m);
        return new Ext2Path(this, sb.toString());
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
        List<Name> todo = new ArrayList<>(((Ext2Path) path.toAbsolutePath()).names());
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
                Entry e = spi.lookup(ROOT, cur, n);
                spi.forget(e.ino(), 1);
                if (FileType.isLink(e.attr().mode()) && (followLast || !todo.isEmpty())) {
                    if (++hops > 40) throw new FileSystemLoopException(path.toString());
                    Ext2Path target = Ext2Path.ofBytes(this, spi.readlink(ROOT, e.ino()));
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

    Path realPath(Ext2Path p, LinkOption... options) throws IOException {
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
