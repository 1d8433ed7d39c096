package io.strata.core;

/**
 * Attributes of an inode, protocol-neutral. Times are nanoseconds since the epoch (negative before
 * 1970); {@code blocks} counts 512-byte units, like st_blocks.
 *
 * <p>Optional fields, valid only when their bit is in {@code present}: {@link #BTIME} (birth time),
 * {@link #DATA_VERSION} (a change cookie that moves on every data change: NFS/9P/statx
 * STATX_CHANGE_COOKIE). {@code attributes} are statx attribute bits ({@link #ATTR_VERITY} ...).
 */
public record Attr(long ino, int mode, int nlink, int uid, int gid, int rdev, long size, long blocks,
                   int blksize, long atimeNs, long mtimeNs, long ctimeNs, long btimeNs, long dataVersion,
                   long attributes, int present) {
    public static final int BTIME = 1, DATA_VERSION = 2;
    /** statx attribute bits (include/uapi/linux/stat.h). */
    public static final long ATTR_IMMUTABLE = 0x10, ATTR_APPEND = 0x20, ATTR_VERITY = 0x100000;

    /** Attributes without any optional field. */
    public Attr(long ino, int mode, int nlink, int uid, int gid, int rdev, long size, long blocks, int blksize,
                long atimeNs, long mtimeNs, long ctimeNs) {
        this(ino, mode, nlink, uid, gid, rdev, size, blocks, blksize, atimeNs, mtimeNs, ctimeNs, 0, 0, 0, 0);
    }

    public Attr withBtime(long ns) {
        return new Attr(ino, mode, nlink, uid, gid, rdev, size, blocks, blksize, atimeNs, mtimeNs, ctimeNs, ns,
                dataVersion, attributes, present | BTIME);
    }

    public Attr withDataVersion(long v) {
        return new Attr(ino, mode, nlink, uid, gid, rdev, size, blocks, blksize, atimeNs, mtimeNs, ctimeNs, btimeNs,
                v, attributes, present | DATA_VERSION);
    }

    public Attr withAttributes(long bits) {
        return new Attr(ino, mode, nlink, uid, gid, rdev, size, blocks, blksize, atimeNs, mtimeNs, ctimeNs, btimeNs,
                dataVersion, bits, present);
    }

    /** The same attributes under another inode number (stackers that renumber). */
    public Attr withIno(long newIno) {
        return new Attr(newIno, mode, nlink, uid, gid, rdev, size, blocks, blksize, atimeNs, mtimeNs, ctimeNs,
                btimeNs, dataVersion, attributes, present);
    }

    public boolean has(int bit) {
        return (present & bit) != 0;
    }

    public int type() {
        return mode & FileType.S_IFMT;
    }

    public boolean isDirectory() {
        return type() == FileType.S_IFDIR;
    }

    public boolean isRegular() {
        return type() == FileType.S_IFREG;
    }

    public boolean isSymlink() {
        return type() == FileType.S_IFLNK;
    }
}
