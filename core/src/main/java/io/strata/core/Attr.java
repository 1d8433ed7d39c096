package io.strata.core;

/**
 * Attributes of an inode, protocol-neutral. Times are nanoseconds since the epoch (negative before
 * 1970); {@code blocks} counts 512-byte units, like st_blocks.
 */
public record Attr(long ino, int mode, int nlink, int uid, int gid, int rdev, long size, long blocks,
                   int blksize, long atimeNs, long mtimeNs, long ctimeNs) {

    public int type() {
        return mode & FileType.S_IFMT;
    }

    public boolean isDirectory() {
        return type() == FileType.S_IFDIR;
    }

    public boolean isRegular() {
        return type() == FileType.S_IFREG;
    }
}
