package io.strata.union;

import static io.strata.core.FileType.S_IFDIR;

import io.strata.core.Entry;
import io.strata.core.Errno;
import io.strata.core.FsException;
import io.strata.core.Name;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code workdir/work}, where the union makes every new object, copy and whiteout under a
 * temporary name before renaming it into the upper (the kernel uses the same subdirectory, so a
 * kernel overlay mounted on the same dirs cleans it as well). Emptied when the union opens: what a
 * crash left there was never visible.
 */
final class WorkDir {
    private final Layer layer;
    private final long ino;
    private final String prefix = "#strata-" + Long.toHexString(System.nanoTime() & 0xffffffL) + "-";
    private final AtomicLong next = new AtomicLong();

    private WorkDir(Layer layer, long ino) {
        this.layer = layer;
        this.ino = ino;
    }

    /** Finds or makes workdir/work and empties it; the union keeps references on both. */
    static WorkDir prepare(Layer work) throws FsException {
        work.fs.retain(work.root, 1); // ours for the union's lifetime, whatever the caller keeps
        Name w = Name.of("work");
        Entry e = work.find(work.root, w);
        if (e == null) {
            // mode 0 as the kernel makes it (root needs no bits); an unprivileged mounter needs 0700
            e = work.fs.mkdir(work.as, work.root, w, S_IFDIR | (work.as.isRoot() ? 0 : 0700), 0);
        } else if (!e.attr().isDirectory()) {
            work.forget(e.ino());
            throw new FsException(Errno.ENOTDIR, "workdir/work is not a directory");
        } else {
            LayerListing.removeContents(work, e.ino());
        }
        return new WorkDir(work, e.ino());
    }

    long ino() {
        return ino;
    }

    /** A name no other temporary of this union uses ("#strata-<random>-<n>", like the kernel's "#<n>"). */
    Name tempName() {
        return Name.of(prefix + Long.toHexString(next.incrementAndGet()));
    }

    /** Removes a temporary; failures are left for the next open's cleaning. */
    void discard(Name tmp, boolean dir) {
        try {
            if (dir) layer.fs.rmdir(layer.as, ino, tmp);
            else layer.fs.unlink(layer.as, ino, tmp);
        } catch (FsException ignored) {
            // already gone, or a directory with contents: the next open cleans workdir/work
        }
    }
}
