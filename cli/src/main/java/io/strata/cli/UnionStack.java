package io.strata.cli;

import io.strata.core.CacheMode;
import io.strata.core.Caller;
import io.strata.core.Entry;
import io.strata.core.FileSystem;
import io.strata.core.FsException;
import io.strata.core.Name;
import io.strata.ext2.Ext2FileSystem;
import io.strata.ext2.Ext2Options;
import io.strata.memory.MemoryFileSystem;
import io.strata.memory.MemoryOptions;
import io.strata.passthrough.PassthroughFileSystem;
import io.strata.passthrough.PassthroughOptions;
import io.strata.sys.Libc;
import io.strata.union.CopyMode;
import io.strata.union.RedirectMode;
import io.strata.union.UnionFileSystem;
import io.strata.union.UnionLayer;
import io.strata.union.UnionOptions;
import io.strata.union.WhiteoutMode;
import io.strata.union.XattrNamespace;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds {@code strata mount union MNT -o lowerdir=L1:L2,upperdir=U,workdir=W}: opens every layer,
 * stacks the union on them, and owns the lot (closing the union, then its layers).
 *
 * <p>Layer syntax, as overlay mounts spell it plus typed layers: {@code lowerdir} is a
 * ':'-separated list, top layer first; each entry is a host directory, or {@code ext2:IMAGE}, or
 * {@code memory:} (an empty memory layer); {@code \:} is a literal colon in a path. A directory
 * upper needs a {@code workdir} on the same host file system (one passthrough is rooted at their
 * common parent, as overlayfs needs both on one file system). {@code upperdir=memory:} or
 * {@code upperdir=ext2:IMAGE} keep the upper in memory or in an image, with {@code upper/} and
 * {@code work/} directories at its root (workdir is then not given).
 */
final class UnionStack {
    private UnionStack() {}

    /** What the -o options said about the union (null members: not given). */
    record Spec(String lowerdir, String upperdir, String workdir, String copyMode, String whiteout, boolean userxattr,
                String redirectDir) {
        boolean isUnion() {
            return lowerdir != null || upperdir != null || workdir != null || copyMode != null || whiteout != null || userxattr
                    || redirectDir != null;
        }
    }

    static final String KINDS = "a directory, ext2:IMAGE or memory:";

    static void check(Spec s) throws UsageException {
        if (s.lowerdir() == null || s.lowerdir().isEmpty()) throw new UsageException("a union needs lowerdir=L1[:L2...]");
        if (s.upperdir() != null && !isTyped(s.upperdir()) && s.workdir() == null) {
            throw new UsageException("upperdir=" + s.upperdir() + " needs a workdir= on the same file system");
        }
        if (s.upperdir() == null && s.workdir() != null) throw new UsageException("workdir= needs an upperdir=");
        if (s.upperdir() != null && isTyped(s.upperdir()) && s.workdir() != null) {
            throw new UsageException("upperdir=" + s.upperdir() + " keeps its work dir inside; leave out workdir=");
        }
        try {
            if (s.copyMode() != null) CopyMode.parse(s.copyMode());
            if (s.whiteout() != null) WhiteoutMode.parse(s.whiteout());
            if (s.redirectDir() != null) RedirectMode.parse(s.redirectDir());
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        for (String l : layers(s.lowerdir())) checkLayer(l, "lowerdir");
        if (s.upperdir() != null) checkLayer(s.upperdir(), "upperdir");
        if (s.workdir() != null) checkLayer(s.workdir(), "workdir");
    }

    private static void checkLayer(String l, String what) throws UsageException {
        if (l.equals("memory:")) return;
        Path p = Path.of(l.startsWith("ext2:") ? l.substring(5) : l);
        if (l.startsWith("ext2:")) {
            if (!Files.isRegularFile(p)) throw new UsageException(what + ": image " + p + " does not exist");
        } else if (!Files.isDirectory(p)) {
            throw new UsageException(what + ": " + p + (Files.exists(p) ? " is not a directory" : " does not exist")
                    + " (a layer is " + KINDS + ")");
        }
    }

    private static boolean isTyped(String l) {
        return l.equals("memory:") || l.startsWith("ext2:");
    }

    /** Splits lowerdir on ':' (not on "\:"), keeping "ext2:PATH" and "memory:" whole. */
    static List<String> layers(String spec) throws UsageException {
        List<String> raw = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (int i = 0; i < spec.length(); i++) {
            char ch = spec.charAt(i);
            if (ch == '\\' && i + 1 < spec.length() && spec.charAt(i + 1) == ':') {
                cur.append(':');
                i++;
            } else if (ch == ':') {
                raw.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(ch);
            }
        }
        raw.add(cur.toString());
        List<String> out = new ArrayList<>();
        for (int i = 0; i < raw.size(); i++) {
            String t = raw.get(i);
            if (t.equals("memory")) {
                out.add("memory:");
                if (i + 1 < raw.size() && raw.get(i + 1).isEmpty()) i++; // "memory:" then the separator
            } else if (t.equals("ext2")) {
                if (i + 1 >= raw.size() || raw.get(i + 1).isEmpty()) throw new UsageException("ext2: needs an image path (ext2:IMAGE)");
                out.add("ext2:" + raw.get(++i));
            } else if (t.isEmpty()) {
                throw new UsageException("empty layer in '" + spec + "'");
            } else {
                out.add(t);
            }
        }
        return out;
    }

    static FileSystem open(Spec s, MountOptions o) throws IOException {
        List<FileSystem> owned = new ArrayList<>();
        try {
            CacheMode cache = o.cache();
            List<UnionLayer> lowers = new ArrayList<>();
            for (String l : layers(s.lowerdir())) lowers.add(UnionLayer.of(track(owned, openLayer(l, cache, true))));
            UnionLayer upper = null, work = null;
            if (s.upperdir() != null) {
                if (isTyped(s.upperdir())) {
                    FileSystem fs = track(owned, openLayer(s.upperdir(), cache, false));
                    upper = new UnionLayer(fs, dir(fs, "upper"));
                    work = new UnionLayer(fs, dir(fs, "work"));
                } else {
                    Path u = Path.of(s.upperdir()).toAbsolutePath().normalize();
                    Path w = Path.of(s.workdir()).toAbsolutePath().normalize();
                    if (u.startsWith(w) || w.startsWith(u)) throw new UsageException("upperdir and workdir must not contain each other");
                    if (!Files.getFileStore(u).equals(Files.getFileStore(w))) {
                        throw new UsageException("upperdir and workdir must be on the same file system (copy-up renames from one to the other)");
                    }
                    Path common = commonParent(u, w);
                    FileSystem fs = track(owned, PassthroughFileSystem.open(common, layerOptions(cache, false)));
                    upper = new UnionLayer(fs, walk(fs, common.relativize(u)));
                    work = new UnionLayer(fs, walk(fs, common.relativize(w)));
                }
            }
            UnionOptions uo = new UnionOptions(lowers, upper, work, s.copyMode() == null ? null : CopyMode.parse(s.copyMode()),
                    s.whiteout() == null ? null : WhiteoutMode.parse(s.whiteout()),
                    s.userxattr() ? XattrNamespace.USER : XattrNamespace.TRUSTED, cache,
                    Caller.of(Libc.geteuid(), Libc.getgid()));
            if (s.redirectDir() != null) uo = uo.withRedirects(RedirectMode.parse(s.redirectDir()));
            return new OwnedStack(UnionFileSystem.open(uo), owned);
        } catch (IOException | RuntimeException e) {
            for (FileSystem fs : owned.reversed()) fs.close();
            throw e;
        } catch (UsageException e) {
            for (FileSystem fs : owned.reversed()) fs.close();
            throw new IOException(e.getMessage(), e);
        } catch (FsException e) {
            for (FileSystem fs : owned.reversed()) fs.close();
            throw new IOException("union: " + e.getMessage(), e);
        }
    }

    private static FileSystem track(List<FileSystem> owned, FileSystem fs) {
        owned.add(fs);
        return fs;
    }

    private static FileSystem openLayer(String l, CacheMode cache, boolean readOnly) throws IOException {
        if (l.equals("memory:")) {
            return new MemoryFileSystem(MemoryOptions.defaults(Libc.getuid(), Libc.getgid())
                    .withSizeLimit(Backends.defaultMemorySize()).withMode(cache));
        }
        if (l.startsWith("ext2:")) return Ext2FileSystem.open(Path.of(l.substring(5)), new Ext2Options(readOnly, 64L << 20, cache));
        return PassthroughFileSystem.open(Path.of(l), layerOptions(cache, readOnly));
    }

    /**
     * Host directory layers identify inodes by file handle where the host offers them: a union
     * node holds a reference on its object in every layer for as long as the kernel remembers it,
     * and with O_PATH identity that is one descriptor per object per layer (a 10k-file tree over a
     * 10k-file lower exhausted a 20,000-descriptor limit in the benchmark).
     */
    private static PassthroughOptions layerOptions(CacheMode cache, boolean readOnly) {
        return PassthroughOptions.defaults().withMode(cache).withReadOnly(readOnly).withPassthroughIo(false)
                .withHandles(PassthroughOptions.Handles.PREFER);
    }

    /** The directory {@code name} at the root of a typed upper, made if missing; its id, referenced. */
    private static long dir(FileSystem fs, String name) throws FsException {
        Name n = Name.of(name.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        try {
            return fs.lookup(Caller.ROOT, FileSystem.ROOT, n).ino();
        } catch (FsException e) {
            if (e.errno() != io.strata.core.Errno.ENOENT) throw e;
            return fs.mkdir(Caller.ROOT, FileSystem.ROOT, n, 0755, 0).ino();
        }
    }

    /** Looks up a relative path in {@code fs}; the last inode stays referenced (the union's layer root). */
    private static long walk(FileSystem fs, Path rel) throws FsException {
        long ino = FileSystem.ROOT;
        for (Path part : rel) {
            Entry e = fs.lookup(Caller.ROOT, ino, Name.of(part.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            if (ino != FileSystem.ROOT) fs.forget(ino, 1);
            ino = e.ino();
        }
        return ino;
    }

    private static Path commonParent(Path a, Path b) {
        Path p = a.getParent();
        while (p != null && !b.startsWith(p)) p = p.getParent();
        return p == null ? a.getRoot() : p;
    }
}
