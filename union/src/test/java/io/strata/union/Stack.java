package io.strata.union;

import static io.strata.core.FileType.S_IFDIR;
import static io.strata.core.FileType.S_IFREG;

import io.strata.core.CacheMode;
import io.strata.core.Caller;
import io.strata.core.Created;
import io.strata.core.Entry;
import io.strata.core.FileSystem;
import io.strata.core.FsException;
import io.strata.core.Name;
import io.strata.core.OpenFlags;
import io.strata.core.Opened;
import io.strata.core.SetAttr;
import io.strata.memory.MemoryFileSystem;
import io.strata.memory.MemoryOptions;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Test fixture: memory layers and helpers to fill them directly (as the layer's owner would, below
 * the union) and to look at the upper's raw format.
 */
final class Stack implements AutoCloseable {
    static final Caller ROOT = Caller.ROOT;

    final List<MemoryFileSystem> lowers = new ArrayList<>();
    final MemoryFileSystem upperFs;
    final long upperDir, workDir;
    UnionFileSystem union;

    Stack(int lowerCount) throws FsException {
        for (int i = 0; i < lowerCount; i++) lowers.add(memory());
        upperFs = memory();
        upperDir = mkdirs(upperFs, FileSystem.ROOT, "upper");
        workDir = mkdirs(upperFs, FileSystem.ROOT, "work");
    }

    static MemoryFileSystem memory() {
        return new MemoryFileSystem(MemoryOptions.defaults(0, 0).withSizeLimit(64L << 20).withMode(CacheMode.EXCLUSIVE));
    }

    UnionOptions options() {
        List<UnionLayer> ls = new ArrayList<>();
        for (MemoryFileSystem m : lowers) ls.add(UnionLayer.of(m));
        return UnionOptions.of(ls, new UnionLayer(upperFs, upperDir), new UnionLayer(upperFs, workDir));
    }

    UnionFileSystem open() throws FsException {
        return open(options());
    }

    UnionFileSystem open(UnionOptions o) throws FsException {
        union = UnionFileSystem.open(o);
        return union;
    }

    @Override
    public void close() {
        if (union != null) union.close();
        for (MemoryFileSystem m : lowers) m.close();
        upperFs.close();
    }

    // ---- direct layer access (no union) ----

    static long mkdirs(FileSystem fs, long dir, String path) throws FsException {
        long at = dir;
        for (String part : path.split("/")) {
            if (part.isEmpty()) continue;
            Entry e;
            try {
                e = fs.lookup(ROOT, at, Name.of(part));
            } catch (FsException x) {
                e = fs.mkdir(ROOT, at, Name.of(part), S_IFDIR | 0755, 0);
            }
            at = e.ino();
        }
        return at;
    }

    static long parentOf(FileSystem fs, long dir, String path) throws FsException {
        int slash = path.lastIndexOf('/');
        return slash < 0 ? dir : mkdirs(fs, dir, path.substring(0, slash));
    }

    static String leaf(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    static long put(FileSystem fs, long dir, String path, String data) throws FsException {
        return put(fs, dir, path, data.getBytes(), 0644);
    }

    static long put(FileSystem fs, long dir, String path, byte[] data, int mode) throws FsException {
        long p = parentOf(fs, dir, path);
        Created cr = fs.create(ROOT, p, Name.of(leaf(path)), S_IFREG | mode, OpenFlags.O_RDWR, 0);
        if (data.length > 0) fs.write(ROOT, cr.entry().ino(), cr.opened().fh(), 0, ByteBuffer.wrap(data), 0);
        fs.release(cr.entry().ino(), cr.opened().fh(), OpenFlags.O_RDWR);
        fs.setattr(ROOT, cr.entry().ino(), SetAttr.mode(mode));
        return cr.entry().ino();
    }

    /** A 0/0 character device: an overlay whiteout. */
    static void whiteout(FileSystem fs, long dir, String path) throws FsException {
        long p = parentOf(fs, dir, path);
        fs.mknod(ROOT, p, Name.of(leaf(path)), io.strata.core.FileType.S_IFCHR, 0, 0);
    }

    static Entry find(FileSystem fs, long dir, String path) throws FsException {
        long at = dir;
        Entry e = null;
        for (String part : path.split("/")) {
            if (part.isEmpty()) continue;
            e = fs.lookup(ROOT, at, Name.of(part));
            at = e.ino();
        }
        return e;
    }

    static boolean exists(FileSystem fs, long dir, String path) {
        try {
            find(fs, dir, path);
            return true;
        } catch (FsException e) {
            return false;
        }
    }

    static String read(FileSystem fs, long ino) throws FsException {
        Opened o = fs.open(ROOT, ino, OpenFlags.O_RDONLY);
        try {
            ByteBuffer b = ByteBuffer.allocate(1 << 20);
            long off = 0;
            int n;
            while ((n = fs.read(ROOT, ino, o.fh(), off, b)) > 0) off += n;
            return new String(b.array(), 0, b.position());
        } finally {
            fs.release(ino, o.fh(), OpenFlags.O_RDONLY);
        }
    }

    static List<String> list(FileSystem fs, long dir) throws FsException {
        List<String> names = new ArrayList<>();
        Opened o = fs.opendir(ROOT, dir, 0);
        try {
            long[] cookie = {0};
            boolean[] more = {true};
            while (more[0]) {
                more[0] = false;
                fs.readdir(ROOT, dir, o.fh(), cookie[0], (name, ino, type, next) -> {
                    if (!name.isDotOrDotDot()) names.add(name.toString());
                    cookie[0] = next;
                    more[0] = true;
                    return true;
                });
            }
        } finally {
            fs.releasedir(dir, o.fh());
        }
        return names;
    }
}
