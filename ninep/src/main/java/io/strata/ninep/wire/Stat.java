package io.strata.ninep.wire;

/**
 * The attribute block of Rgetattr (after its qid) and of gVisor's Rwalkgetattr: which fields are
 * meaningful is said by the message's {@code valid} mask. Times are seconds + nanoseconds.
 */
public record Stat(int mode, int uid, int gid, long nlink, long rdev, long size, long blksize, long blocks,
                   long atimeSec, long atimeNsec, long mtimeSec, long mtimeNsec, long ctimeSec, long ctimeNsec,
                   long btimeSec, long btimeNsec, long gen, long dataVersion) {
    /** Encoded size in bytes. */
    public static final int SIZE = 3 * 4 + 15 * 8;
}
