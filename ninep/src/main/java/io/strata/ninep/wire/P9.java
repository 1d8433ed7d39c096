package io.strata.ninep.wire;

/**
 * 9P2000.L numbers: message types, special tags and fids, qid type bits, getattr/setattr masks and
 * the limits the codec enforces. Values from diod's protocol.md and Linux include/net/9p/9p.h.
 */
public final class P9 {
    private P9() {}

    public static final String VERSION = "9P2000.L";
    /** gVisor's extension prefix; the suffix is a version number ("9P2000.L.Google.2"). */
    public static final String GOOGLE_PREFIX = "9P2000.L.Google.";
    public static final String UNKNOWN_VERSION = "unknown";

    public static final int NOTAG = 0xFFFF;
    public static final int NOFID = 0xFFFFFFFF;
    public static final int NONUNAME = 0xFFFFFFFF;

    /** size[4] type[1] tag[2]. */
    public static final int HEADER = 7;
    /** Header of Twrite/Rread (size type tag fid offset count) rounded as Linux's P9_IOHDRSZ. */
    public static final int IOHDRSZ = 24;
    /** At most this many names in one walk. */
    public static final int MAXWELEM = 16;
    /** Longest single name component. */
    public static final int NAME_MAX = 255;

    // Message types (each R is T + 1).
    public static final int RLERROR = 7, TSTATFS = 8, TLOPEN = 12, TLCREATE = 14, TSYMLINK = 16, TMKNOD = 18,
            TRENAME = 20, TREADLINK = 22, TGETATTR = 24, TSETATTR = 26, TXATTRWALK = 30, TXATTRCREATE = 32,
            TREADDIR = 40, TFSYNC = 50, TLOCK = 52, TGETLOCK = 54, TLINK = 70, TMKDIR = 72, TRENAMEAT = 74,
            TUNLINKAT = 76, TVERSION = 100, TAUTH = 102, TATTACH = 104, TFLUSH = 108, TWALK = 110, TREAD = 116,
            TWRITE = 118, TCLUNK = 120, TREMOVE = 122, TWALKGETATTR = 126;

    // qid.type bits.
    public static final int QTDIR = 0x80, QTAPPEND = 0x40, QTEXCL = 0x20, QTMOUNT = 0x10, QTAUTH = 0x08,
            QTTMP = 0x04, QTSYMLINK = 0x02, QTFILE = 0;

    // Tgetattr request mask / Rgetattr valid.
    public static final long GETATTR_MODE = 0x1, GETATTR_NLINK = 0x2, GETATTR_UID = 0x4, GETATTR_GID = 0x8,
            GETATTR_RDEV = 0x10, GETATTR_ATIME = 0x20, GETATTR_MTIME = 0x40, GETATTR_CTIME = 0x80,
            GETATTR_INO = 0x100, GETATTR_SIZE = 0x200, GETATTR_BLOCKS = 0x400, GETATTR_BASIC = 0x7ff,
            GETATTR_BTIME = 0x800, GETATTR_GEN = 0x1000, GETATTR_DATA_VERSION = 0x2000, GETATTR_ALL = 0x3fff;

    // Tsetattr valid.
    public static final int SETATTR_MODE = 0x1, SETATTR_UID = 0x2, SETATTR_GID = 0x4, SETATTR_SIZE = 0x8,
            SETATTR_ATIME = 0x10, SETATTR_MTIME = 0x20, SETATTR_CTIME = 0x40, SETATTR_ATIME_SET = 0x80,
            SETATTR_MTIME_SET = 0x100;

    // Tlock / Tgetlock.
    public static final int LOCK_TYPE_RDLCK = 0, LOCK_TYPE_WRLCK = 1, LOCK_TYPE_UNLCK = 2;
    public static final int LOCK_SUCCESS = 0, LOCK_BLOCKED = 1, LOCK_ERROR = 2, LOCK_GRACE = 3;
    public static final int LOCK_FLAGS_BLOCK = 1, LOCK_FLAGS_RECLAIM = 2;

    /** Tunlinkat flag: remove a directory. */
    public static final int AT_REMOVEDIR = 0x200;

    /** Statfs type the Linux client expects (V9FS_MAGIC). */
    public static final int V9FS_MAGIC = 0x01021997;
}
