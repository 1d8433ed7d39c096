package io.strata.verity;

import io.strata.core.Attr;
import io.strata.core.Caller;
import io.strata.core.Entry;
import io.strata.core.Errno;
import io.strata.core.FileSystem;
import io.strata.core.FileType;
import io.strata.core.FsException;
import io.strata.core.Name;
import io.strata.core.OpenFlags;
import io.strata.core.Opened;
import io.strata.core.XattrName;
import java.nio.ByteBuffer;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Where verity metadata lives in the layer below, as ordinary files and xattrs any backend can
 * hold (memory, ext2, passthrough, 9P), persistent across remounts:
 * <ul>
 * <li>the 256-byte {@link VerityDescriptor} in the xattr {@value #XATTR} of the file itself. Its
 *     presence is what makes a file verity; being on the inode, it follows hard links and renames
 *     with no bookkeeping. {@code user.*} because it is the one namespace every backend stores for
 *     an unprivileged daemon (trusted.* needs CAP_SYS_ADMIN on a host directory).</li>
 * <li>the Merkle tree in {@value #DIR}/&lt;hex file digest&gt; under the lower root,
 *     content-addressed: identical files share one tree and nothing needs renaming. The tree is
 *     checked against the descriptor's root hash every time it is loaded, so a tampered tree is
 *     EIO, never trusted.</li>
 * </ul>
 * {@link VerityFileSystem} hides both from everything above it. Every lower call is made as
 * {@link Caller#ROOT}: this is the stacker's own bookkeeping, after it checked the user's rights.
 * No locks: the lower file system serializes what it needs; callers keep one enable per inode.
 */
final class VerityStore {
    static final String DIR = ".strata-verity";
    static final Name DIR_NAME = Name.of(DIR);
    static final String XATTR = "user.strata.verity";
    static final XattrName XATTR_NAME = XattrName.of(XATTR);
    private static final Logger LOG = Logger.getLogger("io.strata.verity");
    private static final Caller ROOT = Caller.ROOT;
    private static final AtomicLong TEMP = new AtomicLong();

    private final FileSystem lower;
    private final long maxTreeBytes;

    VerityStore(FileSystem lower, long maxTreeBytes) {
        this.lower = lower;
        this.maxTreeBytes = maxTreeBytes;
    }

    static boolean hides(long parent, Name name) {
        return parent == FileSystem.ROOT && name.equals(DIR_NAME);
    }

    /** True if the hidden directory exists below. */
    boolean hasDirectory() {
        try {
            Entry e = lower.lookup(ROOT, FileSystem.ROOT, DIR_NAME);
            lower.forget(e.ino(), 1);
            return true;
        } catch (FsException e) {
            return false;
        }
    }

    /** The descriptor of {@code ino}, or null if it is not a verity file; EIO if it is corrupt. */
    VerityDescriptor descriptor(long ino) throws FsException {
        byte[] raw;
        try {
            raw = lower.getxattr(ROOT, ino, XATTR_NAME);
        } catch (FsException e) {
            int n = e.errno();
            if (n == Errno.ENODATA || n == Errno.EOPNOTSUPP || n == Errno.EPERM || n == Errno.EACCES) return null;
            throw e;
        }
        try {
            return VerityDescriptor.decode(raw);
        } catch (IllegalArgumentException e) {
            LOG.log(Level.WARNING, "verity: inode {0}: corrupt descriptor: {1}", new Object[] {String.valueOf(ino), String.valueOf(e.getMessage())});
            throw new FsException(Errno.EIO, "corrupt verity descriptor");
        }
    }

    /** Refuses a tree this stacker will not hold in memory (EFBIG), before anything is read. */
    void checkSize(VerityParams p, long dataSize) throws FsException {
        TreeLayout l;
        try {
            l = new TreeLayout(p, dataSize);
        } catch (IllegalArgumentException e) {
            throw new FsException(Errno.EFBIG, e.getMessage());
        }
        if (l.treeSize > maxTreeBytes)
            throw new FsException(Errno.EFBIG, "Merkle tree of " + l.treeSize + " bytes exceeds " + maxTreeBytes);
    }

    /**
     * The verified tree of {@code ino} with descriptor {@code d}: the data file must still have the
     * descriptor's size and the stored tree must hash to its root. Anything else is EIO and a log line.
     */
    MerkleTree load(long ino, VerityDescriptor d) throws FsException {
        Attr a = lower.getattr(ROOT, ino, -1).attr();
        if (a.size() != d.dataSize()) throw corrupt(ino, "file size " + a.size() + " differs from its verity size " + d.dataSize());
        try {
            checkSize(d.params(), d.dataSize());
        } catch (FsException e) {
            throw corrupt(ino, e.getMessage());
        }
        long treeSize = new TreeLayout(d.params(), d.dataSize()).treeSize;
        byte[] tree = new byte[0];
        if (treeSize > 0) {
            long dir = 0, file = 0;
            try {
                dir = lower.lookup(ROOT, FileSystem.ROOT, DIR_NAME).ino();
                file = lower.lookup(ROOT, dir, treeName(d)).ino();
                Attr ta = lower.getattr(ROOT, file, -1).attr();
                if (!ta.isRegular() || ta.size() != treeSize)
                    throw corrupt(ino, "stored Merkle tree has " + ta.size() + " bytes, expected " + treeSize);
                tree = readAll(file, (int) treeSize);
            } catch (FsException e) {
                if (e.errno() == Errno.ENOENT) throw corrupt(ino, "Merkle tree " + DIR + "/" + treeName(d) + " is missing");
                throw e;
            } finally {
                if (file != 0) lower.forget(file, 1);
                if (dir != 0) lower.forget(dir, 1);
            }
        }
        MerkleTree t = MerkleTree.verified(d.params(), d.dataSize(), tree, d.rootHash());
        if (t == null) throw corrupt(ino, "stored Merkle tree does not match the root hash");
        return t;
    }

    private static FsException corrupt(long ino, String why) {
        LOG.log(Level.WARNING, "verity: inode {0}: {1}", new Object[] {String.valueOf(ino), String.valueOf(why)});
        return new FsException(Errno.EIO, why);
    }

    static Name treeName(VerityDescriptor d) {
        return Name.of(HexFormat.of().formatHex(d.digest()));
    }

    private byte[] readAll(long file, int size) throws FsException {
        Opened o = lower.open(ROOT, file, OpenFlags.O_RDONLY);
        try {
            byte[] b = new byte[size];
            ByteBuffer buf = ByteBuffer.wrap(b);
            while (buf.hasRemaining()) {
                if (lower.read(ROOT, file, o.fh(), buf.position(), buf) <= 0)
                    throw new FsException(Errno.EIO, "Merkle tree file shrank while read");
            }
            return b;
        } finally {
            lower.release(file, o.fh(), OpenFlags.O_RDONLY);
        }
    }

    /**
     * Stores the tree (written to a temporary name, synced, renamed into place) and then the
     * descriptor xattr, which is the commit point: a crash before it leaves a stray tree file and a
     * file that is not verity, never a verity file without its tree.
     */
    void store(long ino, MerkleTree t) throws FsException {
        VerityDescriptor d = t.descriptor();
        if (t.treeLength() > 0) {
            long dir = directory();
            try {
                Name tmp = Name.of("tmp-" + ino + "-" + TEMP.incrementAndGet() + "-" + System.nanoTime());
                var created = lower.create(ROOT, dir, tmp, FileType.S_IFREG | 0600,
                        OpenFlags.O_WRONLY | OpenFlags.O_CREAT | OpenFlags.O_EXCL, 0);
                long file = created.entry().ino();
                boolean released = false, renamed = false;
                try {
                    ByteBuffer src = ByteBuffer.wrap(t.treeBytes());
                    while (src.hasRemaining()) lower.write(ROOT, file, created.opened().fh(), src.position(), src, 0);
                    lower.fsync(ROOT, file, created.opened().fh(), false);
                    released = true;
                    lower.release(file, created.opened().fh(), OpenFlags.O_WRONLY);
                    lower.rename(ROOT, dir, tmp, dir, treeName(d), 0);
                    renamed = true;
                } finally {
                    if (!released) lower.release(file, created.opened().fh(), OpenFlags.O_WRONLY);
                    if (!renamed) {
                        try {
                            lower.unlink(ROOT, dir, tmp);
                        } catch (FsException ignored) {
                            // best effort: a stray temporary file is harmless
                        }
                    }
                    lower.forget(file, 1);
                }
            } finally {
                lower.forget(dir, 1);
            }
        }
        lower.setxattr(ROOT, ino, XATTR_NAME, d.encode(), FileSystem.XATTR_CREATE);
    }

    /**
     * Removes every file of the hidden directory that is not in {@code keep} (trees no verity file
     * names any more, and temporaries a crash left). Only safe while nobody enables verity on
     * this layer (an enable stores its tree before the descriptor that names it): offline.
     */
    int sweep(java.util.Set<Name> keep) throws FsException {
        long dir;
        try {
            dir = lower.lookup(ROOT, FileSystem.ROOT, DIR_NAME).ino();
        } catch (FsException e) {
            if (e.errno() == Errno.ENOENT) return 0;
            throw e;
        }
        try {
            java.util.List<Name> names = io.strata.core.DirNames.read(lower, ROOT, dir);
            int removed = 0;
            for (Name n : names) {
                if (keep.contains(n)) continue;
                lower.unlink(ROOT, dir, n);
                removed++;
            }
            return removed;
        } finally {
            lower.forget(dir, 1);
        }
    }

    /** The hidden directory's inode, made on first use (one reference: the caller forgets it). */
    private long directory() throws FsException {
        for (int attempt = 0; ; attempt++) {
            try {
                return lower.lookup(ROOT, FileSystem.ROOT, DIR_NAME).ino();
            } catch (FsException e) {
                if (e.errno() != Errno.ENOENT || attempt > 0) throw e;
            }
            try {
                return lower.mkdir(ROOT, FileSystem.ROOT, DIR_NAME, FileType.S_IFDIR | 0700, 0).ino();
            } catch (FsException e) {
                if (e.errno() != Errno.EEXIST) throw e; // made by a concurrent enable: look it up again
            }
        }
    }
}
