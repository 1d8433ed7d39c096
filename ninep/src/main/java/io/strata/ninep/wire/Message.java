package io.strata.ninep.wire;

import io.strata.core.Name;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Every 9P2000.L message (plus gVisor's Twalkgetattr/Rwalkgetattr) as a record. Requests are
 * {@link Request}s, replies {@link Reply}s; {@link Decoder} makes them from bytes, {@link Encoder}
 * turns them back. Unsigned wire fields are held in Java ints/longs with the same bits (fids,
 * counts and flags are compared with {@code Integer.toUnsignedLong} where it matters).
 *
 * <p>Byte-string fields ({@code byte[]}, {@code ByteBuffer}) are owned by the record and must not
 * be changed; record equality on them is identity, so compare messages by their encoding.
 */
public sealed interface Message {
    int tag();

    /** The wire type number. */
    int type();

    sealed interface Request extends Message {}

    sealed interface Reply extends Message {}

    // ---- session ----

    record Tversion(int tag, int msize, String version) implements Request {
        public int type() { return P9.TVERSION; }
    }

    record Rversion(int tag, int msize, String version) implements Reply {
        public int type() { return P9.TVERSION + 1; }
    }

    record Tauth(int tag, int afid, byte[] uname, byte[] aname, int nUname) implements Request {
        public int type() { return P9.TAUTH; }
    }

    record Rauth(int tag, Qid aqid) implements Reply {
        public int type() { return P9.TAUTH + 1; }
    }

    record Tattach(int tag, int fid, int afid, byte[] uname, byte[] aname, int nUname) implements Request {
        public int type() { return P9.TATTACH; }
    }

    record Rattach(int tag, Qid qid) implements Reply {
        public int type() { return P9.TATTACH + 1; }
    }

    record Rlerror(int tag, int ecode) implements Reply {
        public int type() { return P9.RLERROR; }
    }

    record Tflush(int tag, int oldtag) implements Request {
        public int type() { return P9.TFLUSH; }
    }

    record Rflush(int tag) implements Reply {
        public int type() { return P9.TFLUSH + 1; }
    }

    // ---- names ----

    /** {@code names} may hold "." and ".." (a walk is where ".." is legal). */
    record Twalk(int tag, int fid, int newfid, List<Name> names) implements Request {
        public Twalk { names = List.copyOf(names); }
        public int type() { return P9.TWALK; }
    }

    record Rwalk(int tag, List<Qid> qids) implements Reply {
        public Rwalk { qids = List.copyOf(qids); }
        public int type() { return P9.TWALK + 1; }
    }

    /** gVisor: walk, then the attributes of the last element, in one round trip. */
    record Twalkgetattr(int tag, int fid, int newfid, List<Name> names) implements Request {
        public Twalkgetattr { names = List.copyOf(names); }
        public int type() { return P9.TWALKGETATTR; }
    }

    record Rwalkgetattr(int tag, long valid, Stat attr, List<Qid> qids) implements Reply {
        public Rwalkgetattr { qids = List.copyOf(qids); }
        public int type() { return P9.TWALKGETATTR + 1; }
    }

    record Tgetattr(int tag, int fid, long requestMask) implements Request {
        public int type() { return P9.TGETATTR; }
    }

    record Rgetattr(int tag, long valid, Qid qid, Stat attr) implements Reply {
        public int type() { return P9.TGETATTR + 1; }
    }

    record Tsetattr(int tag, int fid, int valid, int mode, int uid, int gid, long size, long atimeSec,
                    long atimeNsec, long mtimeSec, long mtimeNsec) implements Request {
        public int type() { return P9.TSETATTR; }
    }

    record Rsetattr(int tag) implements Reply {
        public int type() { return P9.TSETATTR + 1; }
    }

    record Treadlink(int tag, int fid) implements Request {
        public int type() { return P9.TREADLINK; }
    }

    record Rreadlink(int tag, byte[] target) implements Reply {
        public int type() { return P9.TREADLINK + 1; }
    }

    // ---- creating and removing names ----

    record Tlcreate(int tag, int fid, Name name, int flags, int mode, int gid) implements Request {
        public int type() { return P9.TLCREATE; }
    }

    record Rlcreate(int tag, Qid qid, int iounit) implements Reply {
        public int type() { return P9.TLCREATE + 1; }
    }

    record Tsymlink(int tag, int dfid, Name name, byte[] target, int gid) implements Request {
        public int type() { return P9.TSYMLINK; }
    }

    record Rsymlink(int tag, Qid qid) implements Reply {
        public int type() { return P9.TSYMLINK + 1; }
    }

    record Tmknod(int tag, int dfid, Name name, int mode, int major, int minor, int gid) implements Request {
        public int type() { return P9.TMKNOD; }
    }

    record Rmknod(int tag, Qid qid) implements Reply {
        public int type() { return P9.TMKNOD + 1; }
    }

    record Tmkdir(int tag, int dfid, Name name, int mode, int gid) implements Request {
        public int type() { return P9.TMKDIR; }
    }

    record Rmkdir(int tag, Qid qid) implements Reply {
        public int type() { return P9.TMKDIR + 1; }
    }

    record Tlink(int tag, int dfid, int fid, Name name) implements Request {
        public int type() { return P9.TLINK; }
    }

    record Rlink(int tag) implements Reply {
        public int type() { return P9.TLINK + 1; }
    }

    record Trename(int tag, int fid, int dfid, Name name) implements Request {
        public int type() { return P9.TRENAME; }
    }

    record Rrename(int tag) implements Reply {
        public int type() { return P9.TRENAME + 1; }
    }

    record Trenameat(int tag, int olddirfid, Name oldname, int newdirfid, Name newname) implements Request {
        public int type() { return P9.TRENAMEAT; }
    }

    record Rrenameat(int tag) implements Reply {
        public int type() { return P9.TRENAMEAT + 1; }
    }

    record Tunlinkat(int tag, int dirfid, Name name, int flags) implements Request {
        public int type() { return P9.TUNLINKAT; }
    }

    record Runlinkat(int tag) implements Reply {
        public int type() { return P9.TUNLINKAT + 1; }
    }

    record Tremove(int tag, int fid) implements Request {
        public int type() { return P9.TREMOVE; }
    }

    record Rremove(int tag) implements Reply {
        public int type() { return P9.TREMOVE + 1; }
    }

    // ---- open files ----

    record Tlopen(int tag, int fid, int flags) implements Request {
        public int type() { return P9.TLOPEN; }
    }

    record Rlopen(int tag, Qid qid, int iounit) implements Reply {
        public int type() { return P9.TLOPEN + 1; }
    }

    record Tread(int tag, int fid, long offset, int count) implements Request {
        public int type() { return P9.TREAD; }
    }

    /** {@code data}: position to limit. */
    record Rread(int tag, ByteBuffer data) implements Reply {
        public int type() { return P9.TREAD + 1; }
    }

    /** {@code data}: position to limit; its length is the wire count. */
    record Twrite(int tag, int fid, long offset, ByteBuffer data) implements Request {
        public int type() { return P9.TWRITE; }
    }

    record Rwrite(int tag, int count) implements Reply {
        public int type() { return P9.TWRITE + 1; }
    }

    record Treaddir(int tag, int fid, long offset, int count) implements Request {
        public int type() { return P9.TREADDIR; }
    }

    /** {@code data}: packed {@link DirEntry}s ({@link DirEntries}), position to limit. */
    record Rreaddir(int tag, ByteBuffer data) implements Reply {
        public int type() { return P9.TREADDIR + 1; }
    }

    /** Linux sends datasync; older clients (diod's protocol.md, gVisor) send only the fid: decoded as 0. */
    record Tfsync(int tag, int fid, int datasync) implements Request {
        public int type() { return P9.TFSYNC; }
    }

    record Rfsync(int tag) implements Reply {
        public int type() { return P9.TFSYNC + 1; }
    }

    record Tclunk(int tag, int fid) implements Request {
        public int type() { return P9.TCLUNK; }
    }

    record Rclunk(int tag) implements Reply {
        public int type() { return P9.TCLUNK + 1; }
    }

    // ---- file system, xattrs, locks ----

    record Tstatfs(int tag, int fid) implements Request {
        public int type() { return P9.TSTATFS; }
    }

    record Rstatfs(int tag, int fsType, int bsize, long blocks, long bfree, long bavail, long files, long ffree,
                   long fsid, int namelen) implements Reply {
        public int type() { return P9.TSTATFS + 1; }
    }

    /** An empty name asks for the list of names. */
    record Txattrwalk(int tag, int fid, int newfid, byte[] name) implements Request {
        public int type() { return P9.TXATTRWALK; }
    }

    record Rxattrwalk(int tag, long size) implements Reply {
        public int type() { return P9.TXATTRWALK + 1; }
    }

    record Txattrcreate(int tag, int fid, byte[] name, long attrSize, int flags) implements Request {
        public int type() { return P9.TXATTRCREATE; }
    }

    record Rxattrcreate(int tag) implements Reply {
        public int type() { return P9.TXATTRCREATE + 1; }
    }

    record Tlock(int tag, int fid, int lockType, int flags, long start, long length, int procId, byte[] clientId)
            implements Request {
        public int type() { return P9.TLOCK; }
    }

    record Rlock(int tag, int status) implements Reply {
        public int type() { return P9.TLOCK + 1; }
    }

    record Tgetlock(int tag, int fid, int lockType, long start, long length, int procId, byte[] clientId)
            implements Request {
        public int type() { return P9.TGETLOCK; }
    }

    record Rgetlock(int tag, int lockType, long start, long length, int procId, byte[] clientId) implements Reply {
        public int type() { return P9.TGETLOCK + 1; }
    }
}
