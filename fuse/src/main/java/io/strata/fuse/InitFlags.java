package io.strata.fuse;

/** FUSE_INIT capability bits; bits 32+ travel in flags2 (valid with INIT_EXT). */
final class InitFlags {
    private InitFlags() {}

    static final long ASYNC_READ = 1L << 0, POSIX_LOCKS = 1L << 1, ATOMIC_O_TRUNC = 1L << 3,
            EXPORT_SUPPORT = 1L << 4, BIG_WRITES = 1L << 5, DONT_MASK = 1L << 6, SPLICE_WRITE = 1L << 7,
            SPLICE_MOVE = 1L << 8, SPLICE_READ = 1L << 9, FLOCK_LOCKS = 1L << 10, AUTO_INVAL_DATA = 1L << 12,
            DO_READDIRPLUS = 1L << 13, READDIRPLUS_AUTO = 1L << 14, ASYNC_DIO = 1L << 15,
            WRITEBACK_CACHE = 1L << 16, NO_OPEN_SUPPORT = 1L << 17, PARALLEL_DIROPS = 1L << 18, HANDLE_KILLPRIV = 1L << 19,
            POSIX_ACL = 1L << 20, MAX_PAGES = 1L << 22, CACHE_SYMLINKS = 1L << 23, NO_OPENDIR_SUPPORT = 1L << 24,
            EXPLICIT_INVAL_DATA = 1L << 25, HANDLE_KILLPRIV_V2 = 1L << 28, INIT_EXT = 1L << 30,
            SECURITY_CTX = 1L << 32, CREATE_SUPP_GROUP = 1L << 34, HAS_EXPIRE_ONLY = 1L << 35, DIRECT_IO_ALLOW_MMAP = 1L << 36,
            PASSTHROUGH = 1L << 37;

    static String describe(long flags) {
        String[] names = {"ASYNC_READ", "POSIX_LOCKS", "FILE_OPS", "ATOMIC_O_TRUNC", "EXPORT_SUPPORT",
            "BIG_WRITES", "DONT_MASK", "SPLICE_WRITE", "SPLICE_MOVE", "SPLICE_READ", "FLOCK_LOCKS",
            "HAS_IOCTL_DIR", "AUTO_INVAL_DATA", "DO_READDIRPLUS", "READDIRPLUS_AUTO", "ASYNC_DIO",
            "WRITEBACK_CACHE", "NO_OPEN_SUPPORT", "PARALLEL_DIROPS", "HANDLE_KILLPRIV", "POSIX_ACL",
            "ABORT_ERROR", "MAX_PAGES", "CACHE_SYMLINKS", "NO_OPENDIR_SUPPORT", "EXPLICIT_INVAL_DATA",
            "MAP_ALIGNMENT", "SUBMOUNTS", "HANDLE_KILLPRIV_V2", "SETXATTR_EXT", "INIT_EXT", "INIT_RESERVED",
            "SECURITY_CTX", "HAS_INODE_DAX", "CREATE_SUPP_GROUP", "HAS_EXPIRE_ONLY", "DIRECT_IO_ALLOW_MMAP",
            "PASSTHROUGH", "NO_EXPORT_SUPPORT", "HAS_RESEND"};
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 64; i++) {
            if ((flags & (1L << i)) == 0) continue;
            if (b.length() > 0) b.append('|');
            b.append(i < names.length ? names[i] : "bit" + i);
        }
        return b.toString();
    }
}
