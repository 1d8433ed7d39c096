package io.strata.cli;

import io.strata.core.CacheMode;
import io.strata.core.FileSystem;
import io.strata.sys.Libc;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** The backends `strata mount` knows, their defaults, and how to open each from the command line. */
final class Backends {
    private Backends() {}

    enum Kind {
        MEMORY(false, CacheMode.EXCLUSIVE), PASSTHROUGH(true, CacheMode.SHARED), EXT2(true, CacheMode.EXCLUSIVE);

        private final boolean needsSource;
        private final CacheMode defaultCache;

        Kind(boolean needsSource, CacheMode defaultCache) {
            this.needsSource = needsSource;
            this.defaultCache = defaultCache;
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
            default -> throw new UsageException("unknown backend '" + name + "' (expected memory, passthrough or ext2)");
        };
    }

    /** Refuses impossible combinations before anything is started. */
    static void check(Kind kind, Path source, MountOptions o) throws UsageException {
        if (kind != Kind.MEMORY && o.sizeBytes() > 0) throw new UsageException("size= only applies to the memory backend");
        if (kind != Kind.PASSTHROUGH && (o.handles() != null || o.dev())) {
            throw new UsageException("handles= and dev only apply to the passthrough backend");
        }
        if (kind == Kind.MEMORY && o.readOnly()) throw new UsageException("a read-only memory file system would stay empty");
        if (kind == Kind.MEMORY && o.cache() == CacheMode.SHARED) {
            // Nothing else can change a memory file system; accept but it only costs speed.
        }
        if (kind == Kind.PASSTHROUGH && !Files.isDirectory(source)) throw new UsageException(source + " is not a directory");
        if (kind == Kind.EXT2 && !Files.isRegularFile(source) && !Files.exists(source)) {
            throw new UsageException("image " + source + " does not exist (make one with strata mkfs.ext2)");
        }
    }

    static String fsname(Kind kind, Path source) {
        return source == null ? kind.label() : source.toString().replace(',', '_');
    }

    static FileSystem open(Kind kind, Path source, MountOptions o) throws IOException {
        return switch (kind) {
            case MEMORY -> new io.strata.memory.MemoryFileSystem(new io.strata.memory.MemoryOptions(
                    o.sizeBytes() > 0 ? o.sizeBytes() : defaultMemorySize(), 0, o.cache(), Libc.getuid(), Libc.getgid(), 0755));
            case PASSTHROUGH -> io.strata.passthrough.PassthroughFileSystem.open(source,
                    new io.strata.passthrough.PassthroughOptions(o.cache(), handles(o.handles()), o.dev(), o.passthrough(),
                            o.readOnly()));
            case EXT2 -> io.strata.ext2.Ext2FileSystem.open(source,
                    new io.strata.ext2.Ext2Options(o.readOnly(), o.cacheBytes(), o.cache()));
        };
    }

    private static io.strata.passthrough.PassthroughOptions.Handles handles(String h) {
        return h == null ? io.strata.passthrough.PassthroughOptions.Handles.NEVER
                : io.strata.passthrough.PassthroughOptions.Handles.valueOf(h.toUpperCase(Locale.ROOT));
    }

    /** Like tmpfs, half of physical memory, but never more than the heap can hold. */
    static long defaultMemorySize() {
        long half = 1L << 30;
        var os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) half = sun.getTotalMemorySize() / 2;
        return Math.min(half, Runtime.getRuntime().maxMemory() / 10 * 8);
    }
}
