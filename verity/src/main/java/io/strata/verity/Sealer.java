package io.strata.verity;

import io.strata.core.Caller;
import io.strata.core.Entry;
import io.strata.core.Errno;
import io.strata.core.FileSystem;
import io.strata.core.FileType;
import io.strata.core.FsException;
import io.strata.core.Ioctl;
import io.strata.core.Name;
import io.strata.core.OpenFlags;
import io.strata.core.Opened;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Seals a tree: enables verity on every regular file under the root of a {@link VerityFileSystem}
 * (through the same ioctl a FUSE client sends, so trees and descriptors land where a verity mount
 * of that layer finds them) and records each file's digest in a {@link Manifest}. Files that have
 * verity already keep it (their recorded digest is the existing one). Runs as root.
 */
public final class Sealer {
    private Sealer() {}

    /** What a seal (or a collection) did. */
    public record Result(Manifest manifest, int enabled, int already, int treesRemoved) {}

    /** Enables verity on every regular file, then removes stored trees no file names (offline). */
    public static Result seal(VerityFileSystem fs, VerityParams params) throws FsException {
        Manifest.Builder b = new Manifest.Builder();
        int[] counts = new int[2];
        List<VerityDescriptor> inUse = new ArrayList<>();
        walk(fs, FileSystem.ROOT, new byte[0], params, b, counts, inUse);
        int removed = fs.sweepTrees(inUse);
        return new Result(b.build(), counts[0], counts[1], removed);
    }

    /**
     * Garbage collection alone: finds the descriptors of every verity file (enabling nothing) and
     * removes the stored trees of files that were deleted or replaced. Offline: while the layer
     * is mounted with verity, an enable in progress could lose its tree.
     */
    public static Result collect(VerityFileSystem fs) throws FsException {
        Manifest.Builder b = new Manifest.Builder();
        int[] counts = new int[2];
        List<VerityDescriptor> inUse = new ArrayList<>();
        walk(fs, FileSystem.ROOT, new byte[0], null, b, counts, inUse);
        return new Result(b.build(), 0, counts[1], fs.sweepTrees(inUse));
    }

    private static void walk(VerityFileSystem fs, long dir, byte[] path, VerityParams params, Manifest.Builder b, int[] counts,
                             List<VerityDescriptor> inUse) throws FsException {
        List<Name> names = io.strata.core.DirNames.read(fs, Caller.ROOT, dir);
        for (Name n : names) {
            byte[] child = join(path, n);
            Entry e = fs.lookup(Caller.ROOT, dir, n);
            try {
                int mode = e.attr().mode();
                if (FileType.isDir(mode)) {
                    walk(fs, e.ino(), child, params, b, counts, inUse);
                } else if (FileType.isReg(mode)) {
                    VerityDescriptor vd = params != null ? sealFile(fs, e.ino(), params, counts) : fs.descriptor(e.ino());
                    if (vd != null) {
                        if (params == null) counts[1]++;
                        b.add(child, vd);
                        inUse.add(vd);
                    }
                }
            } finally {
                fs.forget(e.ino(), 1);
            }
        }
    }

    private static VerityDescriptor sealFile(VerityFileSystem fs, long ino, VerityParams params, int[] counts) throws FsException {
        Opened o = fs.open(Caller.ROOT, ino, OpenFlags.O_RDONLY);
        try {
            VerityDescriptor d = fs.descriptor(ino);
            if (d != null) {
                counts[1]++;
                return d;
            }
            fs.ioctl(Caller.ROOT, ino, o.fh(), Ioctl.FS_IOC_ENABLE_VERITY, EnableArgument.encode(params, new byte[0]), 0);
            counts[0]++;
            d = fs.descriptor(ino);
            if (d == null) throw new FsException(Errno.EIO, "verity enabled but no descriptor found");
            return d;
        } finally {
            fs.release(ino, o.fh(), OpenFlags.O_RDONLY);
        }
    }

    private static byte[] join(byte[] parent, Name n) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(parent.length + 1 + n.length());
        out.writeBytes(parent);
        out.write('/');
        out.writeBytes(n.bytes());
        return out.toByteArray();
    }
}
