package io.strata.cli;

import io.strata.core.CacheMode;
import io.strata.core.FileSystem;
import io.strata.ext2.Ext2FileSystem;
import io.strata.ext2.Ext2Options;
import io.strata.memory.MemoryFileSystem;
import io.strata.memory.MemoryOptions;
import io.strata.passthrough.PassthroughFileSystem;
import io.strata.passthrough.PassthroughOptions;
import io.strata.sys.Libc;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** The backends `strata mount` knows, their defaults, and how to open each from the command line. */
final class Backends {
    private Backends() {}

    enum Kind {
        // memory: no writeback cache by default. With it the kernel owns i_size and accepts writes
        // into its page cache, so a full file system would show ENOSPC only at close and the file
        // would keep a size it never stored; RAM filling up is a normal event for this backend.
        MEMORY(false, CacheMode.EXCLUSIVE, false), PASSTHROUGH(true, CacheMode.SHARED, true),
        EXT2(true, CacheMode.EXCLUSIVE, true), UNION(false, CacheMode.EXCLUSIVE, true);

        private final boolean needsSource;
        private final CacheMode defaultCache;
        private final boolean writebackByDefault;

        Kind(boolean needsSource, CacheMode defaultCache, boolean writebackByDefault) {
            this.needsSource = needsSource;
            this.defaultCache = defaultCache;
            this.writebackByDefault = writebackByDefault;
        }

        /** Whether cache=exclusive mounts of this backend use the writeback cache unless told. */
        boolean writebackByDefault() {
            return writebackByDefault;
        }

        boolean needsSource() {
            return needsSource;
        }

        CacheMode defaultCache() {
            return defaultCache;
        }

        String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    static Kind kind(String name) throws UsageException {
        return switch (name) {
            case "memory", "mem", "tmpfs" -> Kind.MEMORY;
            case "passthrough", "host", "bind" -> Kind.PASSTHROUGH;
            case "ext2" -> Kind.EXT2;
            case "union", "overlay" -> Kind.UNION;
            default -> throw new UsageException("unknown backend '" + name + "' (expected memory, passthrough, ext2 or union)");
        };
    }

    /** Refuses impossible combinations before anything is started. */
    static void check(Kind kind, Path source, MountOptions o) throws UsageException {
        if (kind == Kind.UNION) {
            if (o.union() == null) throw new UsageException("a union needs -o lowerdir=L1[:L2...][,upperdir=U,workdir=W]");
            UnionStack.check(o.union());
        } else if (o.union() != null) {
            throw new UsageException("lowerdir=, upperdir=, workdir=, copymode=, whiteout=, redirect_dir= and userxattr are union options "
                    + "(strata mount union MNT -o lowerdir=...)");
        }
        if (kind != Kind.MEMORY && o.sizeBytes() > 0) throw new UsageException("size= only applies to the memory backend");
        if (kind != Kind.PASSTHROUGH && o.handles() != null) {
            throw new UsageException("handles= only applies to the passthrough backend");
        }
        if (kind == Kind.MEMORY && o.readOnly()) throw new UsageException("a read-only memory file system would stay empty");
        if (kind == Kind.MEMORY && o.cache() == CacheMode.SHARED) {
            // Nothing else can change a memory file system; accept but it only costs speed.
        }
        if (kind == Kind.MEMORY && o.sizeBytes() > 0) checkMemorySize(o.sizeBytes());
        if (kind == Kind.PASSTHROUGH && !Files.exists(source)) throw new UsageException("source " + source + " does not exist");
        if (kind == Kind.PASSTHROUGH && !Files.isDirectory(source)) throw new UsageException("source " + source + " is not a directory");
        if (kind == Kind.EXT2 && !Files.isRegularFile(source) && !Files.exists(source)) {
            throw new UsageException("image " + source + " does not exist (make one with strata mkfs.ext2)");
        }
    }

    /** The smallest memory file system worth mounting: the root and a few files. */
    static final long MIN_MEMORY_SIZE = 1L << 20;

    /**
     * The memory backend keeps data in the heap: a size the daemon's heap cannot hold would end in
     * OutOfMemoryError, not ENOSPC. The daemon runs with this JVM's heap settings (the launcher's
     * and STRATA_JAVA_OPTS), so this process's maximum heap is the daemon's.
     */
    static void checkMemorySize(long size) throws UsageException {
        if (size < MIN_MEMORY_SIZE) throw new UsageException("size=" + size + " is too small (at least 1M)");
        long max = maxMemorySize();
        if (size > max) {
            throw new UsageException("size=" + human(size) + " is more than the daemon's heap can hold (at most " + human(max)
                    + "; raise it with STRATA_JAVA_OPTS=-Xmx...)");
        }
    }

    /** What the heap can hold after the file system's own bookkeeping and the daemon's buffers. */
    static long maxMemorySize() {
        return Runtime.getRuntime().maxMemory() / 10 * 8;
    }

    static String human(long bytes) {
        String[] units = {"", "K", "M", "G", "T"};
        int u = 0;
        double v = bytes;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return (v == Math.rint(v) ? String.valueOf((long) v) : String.format(Locale.ROOT, "%.1f", v)) + units[u];
    }

    static String fsname(Kind kind, Path source) {
        return source == null ? kind.label() : source.toString().replace(',', '_');
    }

    /**
     * Builds the file system; the caller owns it and closes it. The memory backend's root belongs
     * to the user running the command (the backend asks the OS nothing itself).
     */
    static FileSystem open(Kind kind, Path source, MountOptions o) throws IOException {
        FileSystem fs = openBackend(kind, source, o);
        if (!o.verity()) return fs;
        // verity stacks on whatever was built, and the command owns both
        if (o.manifest() == null) return new OwnedStack(new io.strata.verity.VerityFileSystem(fs), java.util.List.of(fs));
        io.strata.verity.Manifest m;
        try {
            m = io.strata.verity.Manifest.read(o.manifest());
        } catch (IOException e) {
            fs.close();
            throw e;
        }
        return new OwnedStack(new io.strata.verity.VerityFileSystem(fs, m), java.util.List.of(fs));
    }

    /** A tree for strata verity seal: a host directory (passthrough) or an ext2 image, read-write. */
    static FileSystem openForSeal(Path source) throws IOException {
        if (Files.isDirectory(source)) {
            return PassthroughFileSystem.open(source.toAbsolutePath().normalize(), PassthroughOptions.defaults().withMode(CacheMode.EXCLUSIVE));
        }
        if (Files.isRegularFile(source)) return Ext2FileSystem.open(source, Ext2Options.defaults());
        throw new IOException(Files.exists(source) ? "neither a directory nor an image file" : "no such file or directory");
    }

    private static FileSystem openBackend(Kind kind, Path source, MountOptions o) throws IOException {
        return switch (kind) {
            case UNION -> UnionStack.open(o.union(), o);
            case MEMORY -> new MemoryFileSystem(MemoryOptions.defaults(Libc.getuid(), Libc.getgid())
                    .withSizeLimit(o.sizeBytes() > 0 ? o.sizeBytes() : defaultMemorySize()).withMode(o.cache()));
            case PASSTHROUGH -> PassthroughFileSystem.open(source, passthroughOptions(o));
            case EXT2 -> Ext2FileSystem.open(source, new Ext2Options(o.readOnly(), o.cacheBytes(), o.cache()));
        };
    }

    /**
     * Why a stack opened read-write came out read-only (an ext3 journal, an unsupported feature),
     * or null if it is not read-only. The user must hear it on the terminal and see it in the
     * mount's flags, not only in the log.
     */
    static String readOnlyReason(FileSystem fs) {
        if (!fs.readOnly()) return null;
        if (fs instanceof Ext2FileSystem e && e.readOnlyReason() != null) return e.readOnlyReason();
        if (fs instanceof OwnedStack s) {
            for (FileSystem b : s.below()) {
                String r = readOnlyReason(b);
                if (r != null) return r;
            }
        }
        if (fs instanceof OwnedStack s && s.below().size() == 1 && s.top() instanceof io.strata.verity.VerityFileSystem) {
            return "a verity manifest pins it (a sealed layer)";
        }
        return "the backend is read-only";
    }

    /** The backend's own defaults, changed only where an option was given (handles= included). */
    static PassthroughOptions passthroughOptions(MountOptions o) {
        PassthroughOptions p = PassthroughOptions.defaults().withMode(o.cache()).withAllowDev(o.dev())
                .withPassthroughIo(o.passthrough()).withReadOnly(o.readOnly());
        return o.handles() == null ? p : p.withHandles(PassthroughOptions.Handles.valueOf(o.handles().toUpperCase(Locale.ROOT)));
    }

    /** The passthrough backend's default handles= mode, for the help text. */
    static String defaultHandles() {
        return PassthroughOptions.defaults().handles().name().toLowerCase(Locale.ROOT);
    }

    /** Like tmpfs, half of physical memory, but never more than the heap can hold. */
    static long defaultMemorySize() {
        long half = 1L << 30;
        var os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) half = sun.getTotalMemorySize() / 2;
        return Math.min(half, maxMemorySize());
    }
}
