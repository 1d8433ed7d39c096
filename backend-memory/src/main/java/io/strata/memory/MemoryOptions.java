package io.strata.memory;

import io.strata.core.CacheMode;

/**
 * Configuration of a {@link MemoryFileSystem}.
 *
 * @param sizeLimitBytes bytes of data and metadata the file system may hold (statfs blocks); 0 means
 *                       half of the JVM's maximum heap, as tmpfs defaults to half of RAM
 * @param maxInodes      inode limit (statfs files); 0 means derived from the size limit
 * @param mode           cache mode the replies advertise
 * @param rootUid        owner of the root directory
 * @param rootGid        group of the root directory
 * @param rootMode       permission bits of the root directory (e.g. 0755, or 01777 for a /tmp)
 */
public record MemoryOptions(long sizeLimitBytes, long maxInodes, CacheMode mode, int rootUid, int rootGid,
                            int rootMode) {
    public MemoryOptions {
        if (sizeLimitBytes < 0) throw new IllegalArgumentException("sizeLimitBytes < 0");
        if (maxInodes < 0) throw new IllegalArgumentException("maxInodes < 0");
        if (mode == null) mode = CacheMode.EXCLUSIVE;
        rootMode &= 07777;
    }

    /**
     * A 0755 root owned by {@code rootUid:rootGid}, size half the heap, EXCLUSIVE caching. The owner
     * is the caller's to choose (usually the user the mount serves): this module asks the OS nothing.
     */
    public static MemoryOptions defaults(int rootUid, int rootGid) {
        return new MemoryOptions(0, 0, CacheMode.EXCLUSIVE, rootUid, rootGid, 0755);
    }

    public MemoryOptions withSizeLimit(long bytes) {
        return new MemoryOptions(bytes, maxInodes, mode, rootUid, rootGid, rootMode);
    }

    public MemoryOptions withMaxInodes(long n) {
        return new MemoryOptions(sizeLimitBytes, n, mode, rootUid, rootGid, rootMode);
    }

    public MemoryOptions withMode(CacheMode m) {
        return new MemoryOptions(sizeLimitBytes, maxInodes, m, rootUid, rootGid, rootMode);
    }

    public MemoryOptions withRoot(int uid, int gid, int permissions) {
        return new MemoryOptions(sizeLimitBytes, maxInodes, mode, uid, gid, permissions);
    }

    /** The size limit in effect. */
    long effectiveSizeLimit() {
        return sizeLimitBytes > 0 ? sizeLimitBytes : Runtime.getRuntime().maxMemory() / 2;
    }

    /** The inode limit in effect: as many inodes as the size limit can pay for, like tmpfs. */
    long effectiveMaxInodes() {
        if (maxInodes > 0) return maxInodes;
        return Math.max(16, Math.min(Integer.MAX_VALUE - 16, effectiveSizeLimit() / SpaceAccounting.INODE_BYTES));
    }
}
