package io.strata.core;

/** Linux errno numbers (x86_64/aarch64 generic values) and their symbolic names. */
public final class Errno {
    private Errno() {}

    public static final int EPERM = 1, ENOENT = 2, ESRCH = 3, EINTR = 4, EIO = 5, ENXIO = 6, E2BIG = 7,
            EBADF = 9, EAGAIN = 11, ENOMEM = 12, EACCES = 13, EFAULT = 14, EBUSY = 16, EEXIST = 17,
            EXDEV = 18, ENODEV = 19, ENOTDIR = 20, EISDIR = 21, EINVAL = 22, ENFILE = 23, EMFILE = 24,
            ENOTTY = 25, ETXTBSY = 26, EFBIG = 27, ENOSPC = 28, ESPIPE = 29, EROFS = 30, EMLINK = 31,
            EPIPE = 32, ERANGE = 34, EDEADLK = 35, ENAMETOOLONG = 36, ENOLCK = 37, ENOSYS = 38,
            ENOTEMPTY = 39, ELOOP = 40, ENODATA = 61, EOVERFLOW = 75, EBADMSG = 74, EPROTO = 71,
            EOPNOTSUPP = 95, ENOTCONN = 107, ESTALE = 116, EDQUOT = 122, ECANCELED = 125,
            EUCLEAN = 117, ENOTSUP = EOPNOTSUPP, EWOULDBLOCK = EAGAIN, ENOATTR = ENODATA;

    private static final String[] NAMES = new String[134];
    static {
        String table = "1 EPERM 2 ENOENT 3 ESRCH 4 EINTR 5 EIO 6 ENXIO 7 E2BIG 9 EBADF 11 EAGAIN 12 ENOMEM "
                + "13 EACCES 14 EFAULT 16 EBUSY 17 EEXIST 18 EXDEV 19 ENODEV 20 ENOTDIR 21 EISDIR 22 EINVAL "
                + "23 ENFILE 24 EMFILE 25 ENOTTY 26 ETXTBSY 27 EFBIG 28 ENOSPC 29 ESPIPE 30 EROFS 31 EMLINK "
                + "32 EPIPE 34 ERANGE 35 EDEADLK 36 ENAMETOOLONG 37 ENOLCK 38 ENOSYS 39 ENOTEMPTY 40 ELOOP "
                + "61 ENODATA 71 EPROTO 74 EBADMSG 75 EOVERFLOW 95 EOPNOTSUPP 107 ENOTCONN 116 ESTALE "
                + "117 EUCLEAN 122 EDQUOT 125 ECANCELED";
        String[] parts = table.split(" ");
        for (int i = 0; i < parts.length; i += 2) NAMES[Integer.parseInt(parts[i])] = parts[i + 1];
    }

    /** Symbolic name such as "ENOENT", or "errno 123" for numbers without one here. */
    public static String name(int errno) {
        if (errno > 0 && errno < NAMES.length && NAMES[errno] != null) return NAMES[errno];
        return "errno " + errno;
    }

    private static final java.util.Map<Integer, String> TEXTS = java.util.Map.ofEntries(
            java.util.Map.entry(EPERM, "Operation not permitted"), java.util.Map.entry(ENOENT, "No such file or directory"),
            java.util.Map.entry(EIO, "Input/output error"), java.util.Map.entry(EBADF, "Bad file descriptor"),
            java.util.Map.entry(EAGAIN, "Resource temporarily unavailable"), java.util.Map.entry(ENOMEM, "Cannot allocate memory"),
            java.util.Map.entry(EACCES, "Permission denied"), java.util.Map.entry(EBUSY, "Device or resource busy"),
            java.util.Map.entry(EEXIST, "File exists"), java.util.Map.entry(EXDEV, "Invalid cross-device link"),
            java.util.Map.entry(ENOTDIR, "Not a directory"), java.util.Map.entry(EISDIR, "Is a directory"),
            java.util.Map.entry(EINVAL, "Invalid argument"), java.util.Map.entry(EFBIG, "File too large"),
            java.util.Map.entry(ENOSPC, "No space left on device"), java.util.Map.entry(EROFS, "Read-only file system"),
            java.util.Map.entry(EMLINK, "Too many links"), java.util.Map.entry(ENAMETOOLONG, "File name too long"),
            java.util.Map.entry(ENOSYS, "Function not implemented"), java.util.Map.entry(ENOTEMPTY, "Directory not empty"),
            java.util.Map.entry(ELOOP, "Too many levels of symbolic links"), java.util.Map.entry(ENODATA, "No data available"),
            java.util.Map.entry(EOPNOTSUPP, "Operation not supported"), java.util.Map.entry(EUCLEAN, "Structure needs cleaning"),
            java.util.Map.entry(EDQUOT, "Disk quota exceeded"), java.util.Map.entry(ETXTBSY, "Text file busy"),
            java.util.Map.entry(ENOTCONN, "Transport endpoint is not connected"), java.util.Map.entry(ESTALE, "Stale file handle"));

    /** The C library's text for an errno ("No such file or directory"), for messages to users. */
    public static String describe(int errno) {
        String t = TEXTS.get(errno);
        return t != null ? t : name(errno);
    }
}
