package io.strata.union;

import static io.strata.core.FileType.S_IFDIR;
import static io.strata.core.FileType.S_IFLNK;
import static io.strata.core.FileType.S_IFREG;

import io.strata.core.Attr;
import io.strata.core.Caller;
import io.strata.core.Created;
import io.strata.core.Entry;
import io.strata.core.Errno;
import io.strata.core.Feature;
import io.strata.core.FileSystem;
import io.strata.core.FsException;
import io.strata.core.Name;
import io.strata.core.OpenFlags;
import io.strata.core.Opened;
import io.strata.core.SetAttr;
import io.strata.core.XattrName;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Makes the upper copy of a lower object in the work dir: the object of the same type, its data
 * (holes kept where the lower answers SEEK_DATA/SEEK_HOLE), its xattrs but the overlay's own, its
 * owner and group, then its mode and last its times (so nothing after them changes them). The
 * caller renames the copy into place. Called with only the copied node's copy-up lock held.
 */
final class Copier {
    private static final int MAX_COPY_BUFFER = 1 << 20;

    private final Layer upper;
    private final WorkDir work;
    private final OverlayFormat format;

    Copier(Layer upper, WorkDir work, OverlayFormat format) {
        this.upper = upper;
        this.work = work;
        this.format = format;
    }

    /** Makes the copy of {@code src} as workdir/work/{@code tmp}; returns it with one reference. */
    Entry copy(LayerRef src, Attr a, Name tmp, boolean withData) throws FsException {
        Layer from = src.layer();
        Caller as = upper.as;
        int type = a.type();
        Entry made;
        switch (type) {
            case S_IFDIR -> made = upper.fs.mkdir(as, work.ino(), tmp, S_IFDIR | 0700, 0);
            case S_IFLNK -> made = upper.fs.symlink(as, work.ino(), tmp, from.fs.readlink(from.as, src.ino()));
            case S_IFREG -> {
                Created cr = upper.fs.create(as, work.ino(), tmp, S_IFREG | 0600, OpenFlags.O_RDWR | OpenFlags.O_EXCL, 0);
                made = cr.entry();
                try {
                    if (withData && a.size() > 0) copyData(src, a.size(), made.ino(), cr.opened().fh());
                } catch (FsException e) {
                    upper.fs.release(made.ino(), cr.opened().fh(), OpenFlags.O_RDWR);
                    work.discard(tmp, false);
                    upper.forget(made.ino());
                    throw e;
                }
                upper.fs.release(made.ino(), cr.opened().fh(), OpenFlags.O_RDWR);
            }
            default -> made = upper.fs.mknod(as, work.ino(), tmp, type | 0600, a.rdev(), 0);
        }
        try {
            copyXattrs(from, src.ino(), made.ino());
            upper.fs.setattr(as, made.ino(), SetAttr.owner(a.uid(), a.gid()));
            if (type != S_IFLNK) upper.fs.setattr(as, made.ino(), SetAttr.mode(a.mode() & 07777));
            try {
                upper.fs.setattr(as, made.ino(), SetAttr.times(a.atimeNs(), a.mtimeNs()));
            } catch (FsException e) {
                if (type != S_IFLNK) throw e; // some layers cannot set a symlink's times
            }
        } catch (FsException e) {
            work.discard(tmp, type == S_IFDIR);
            upper.forget(made.ino());
            throw e;
        }
        return made;
    }

    /**
     * Copies {@code size} bytes, skipping holes where the source answers SEEK_DATA/SEEK_HOLE, then
     * sets the size (a trailing hole stays a hole). The buffer is bounded, whatever the size says.
     */
    private void copyData(LayerRef src, long size, long dstIno, long dstFh) throws FsException {
        Layer from = src.layer();
        Opened in = openLower(from, src.ino(), OpenFlags.O_RDONLY);
        try {
            ByteBuffer buf = ByteBuffer.allocate((int) Math.min(MAX_COPY_BUFFER, Math.max(1, size)));
            boolean sparse = from.has(Feature.SEEK_DATA);
            long off = 0;
            while (off < size) {
                long end = size;
                if (sparse) {
                    try {
                        off = from.fs.lseek(from.as, src.ino(), in.fh(), off, FileSystem.SEEK_DATA);
                        end = Math.min(size, from.fs.lseek(from.as, src.ino(), in.fh(), off, FileSystem.SEEK_HOLE));
                    } catch (FsException e) {
                        if (e.errno() == Errno.ENXIO) break; // only a hole is left
                        if (e.errno() != Errno.ENOSYS && e.errno() != Errno.EOPNOTSUPP && e.errno() != Errno.EINVAL) throw e;
                        sparse = false;
                        end = size;
                    }
                }
                while (off < end) {
                    buf.clear().limit((int) Math.min(buf.capacity(), end - off));
                    int n = from.fs.read(from.as, src.ino(), in.fh(), off, buf);
                    if (n <= 0) {
                        end = off; // the file shrank under us: copy what there is
                        size = off;
                        break;
                    }
                    buf.flip();
                    long at = off;
                    while (buf.hasRemaining()) at += upper.fs.write(upper.as, dstIno, dstFh, at, buf, 0);
                    off += n;
                }
            }
            upper.fs.setattr(upper.as, dstIno, SetAttr.size(size).withFh(dstFh));
        } finally {
            from.fs.release(src.ino(), in.fh(), OpenFlags.O_RDONLY);
        }
    }

    /** Opens a lower object without touching its atime where the layer allows O_NOATIME. */
    static Opened openLower(Layer l, long ino, int flags) throws FsException {
        if (l.as.isRoot()) {
            try {
                return l.fs.open(l.as, ino, flags | OpenFlags.O_NOATIME);
            } catch (FsException e) {
                if (e.errno() != Errno.EPERM && e.errno() != Errno.EINVAL) throw e;
            }
        }
        return l.fs.open(l.as, ino, flags);
    }

    private void copyXattrs(Layer from, long srcIno, long dstIno) throws FsException {
        List<XattrName> names;
        try {
            names = from.fs.listxattr(from.as, srcIno);
        } catch (FsException e) {
            if (e.errno() == Errno.EOPNOTSUPP || e.errno() == Errno.ENOSYS) return;
            throw e;
        }
        for (XattrName x : names) {
            if (format.isPrivate(x)) continue; // the overlay's own: never copied
            byte[] v = from.xattr(srcIno, x);
            if (v == null) continue;
            try {
                upper.fs.setxattr(upper.as, dstIno, x, v, 0);
            } catch (FsException e) {
                // an upper that cannot hold this namespace (e.g. user.* on a symlink) loses it, as overlayfs does
                if (e.errno() != Errno.EOPNOTSUPP && e.errno() != Errno.EPERM) throw e;
            }
        }
    }
}
