package io.strata.ninep.wire;

import io.strata.core.Errno;
import io.strata.core.Name;
import io.strata.ninep.wire.Message.*;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns one framed message (size[4] type[1] tag[2] body) into a {@link Message}, validating every
 * field: the size field against the bytes present and the negotiated maximum, string lengths,
 * counts (at most {@value P9#MAXWELEM} walk names or qids), Twrite's count against the bytes that
 * follow, names (not empty, no '/', no NUL, at most 255 bytes, "." and ".." only in walks), and no
 * trailing bytes. Nothing is allocated from a claimed size before it is known to fit the frame.
 *
 * <p>Stateless and thread-safe. Twrite/Rread/Rreaddir payloads are views of the frame (no copy):
 * the frame must stay unchanged while the message is in use.
 */
public final class Decoder {
    private Decoder() {}

    /**
     * Decodes {@code frame} (position at the size field, limit at the end of the message).
     *
     * @param maxSize the largest message accepted (the negotiated msize)
     */
    public static Message decode(ByteBuffer frame, long maxSize) throws MalformedMessageException {
        ByteBuffer f = frame.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if (f.remaining() < P9.HEADER) throw MalformedMessageException.unanswerable("message shorter than a header");
        long size = Integer.toUnsignedLong(f.getInt());
        if (size < P9.HEADER) throw MalformedMessageException.unanswerable("size field " + size + " below the header");
        int type = f.get() & 0xFF;
        int tag = f.getShort() & 0xFFFF;
        if (size > maxSize) throw new MalformedMessageException(tag, Errno.EPROTO, "size " + size + " exceeds msize " + maxSize);
        if (size != frame.remaining())
            throw new MalformedMessageException(tag, Errno.EPROTO, "size field " + size + " but " + frame.remaining() + " bytes present");
        WireReader r = new WireReader(f, tag);
        Message m = body(type, tag, r);
        r.end(m.getClass().getSimpleName());
        return m;
    }

    private static Message body(int type, int tag, WireReader r) throws MalformedMessageException {
        return switch (type) {
            case P9.TVERSION -> new Tversion(tag, r.u32("msize"), r.text("version"));
            case P9.TVERSION + 1 -> new Rversion(tag, r.u32("msize"), r.text("version"));
            case P9.TAUTH -> new Tauth(tag, r.u32("afid"), r.bytes("uname"), r.bytes("aname"), r.u32("n_uname"));
            case P9.TAUTH + 1 -> new Rauth(tag, r.qid("aqid"));
            case P9.TATTACH -> new Tattach(tag, r.u32("fid"), r.u32("afid"), r.bytes("uname"), r.bytes("aname"),
                    r.u32("n_uname"));
            case P9.TATTACH + 1 -> new Rattach(tag, r.qid("qid"));
            case P9.RLERROR -> new Rlerror(tag, r.u32("ecode"));
            case P9.TFLUSH -> new Tflush(tag, r.u16("oldtag"));
            case P9.TFLUSH + 1 -> new Rflush(tag);
            case P9.TWALK -> new Twalk(tag, r.u32("fid"), r.u32("newfid"), names(r));
            case P9.TWALK + 1 -> new Rwalk(tag, qids(r));
            case P9.TWALKGETATTR -> new Twalkgetattr(tag, r.u32("fid"), r.u32("newfid"), names(r));
            case P9.TWALKGETATTR + 1 -> new Rwalkgetattr(tag, r.u64("valid"), r.stat(), qids(r));
            case P9.TGETATTR -> new Tgetattr(tag, r.u32("fid"), r.u64("request_mask"));
            case P9.TGETATTR + 1 -> new Rgetattr(tag, r.u64("valid"), r.qid("qid"), r.stat());
            case P9.TSETATTR -> new Tsetattr(tag, r.u32("fid"), r.u32("valid"), r.u32("mode"), r.u32("uid"),
                    r.u32("gid"), r.u64("size"), r.u64("atime_sec"), r.u64("atime_nsec"), r.u64("mtime_sec"),
                    r.u64("mtime_nsec"));
            case P9.TSETATTR + 1 -> new Rsetattr(tag);
            case P9.TREADLINK -> new Treadlink(tag, r.u32("fid"));
            case P9.TREADLINK + 1 -> new Rreadlink(tag, r.bytes("target"));
            case P9.TLCREATE -> new Tlcreate(tag, r.u32("fid"), r.name("name", false), r.u32("flags"), r.u32("mode"),
                    r.u32("gid"));
            case P9.TLCREATE + 1 -> new Rlcreate(tag, r.qid("qid"), r.u32("iounit"));
            case P9.TSYMLINK -> new Tsymlink(tag, r.u32("dfid"), r.name("name", false), target(r), r.u32("gid"));
            case P9.TSYMLINK + 1 -> new Rsymlink(tag, r.qid("qid"));
            case P9.TMKNOD -> new Tmknod(tag, r.u32("dfid"), r.name("name", false), r.u32("mode"), r.u32("major"),
                    r.u32("minor"), r.u32("gid"));
            case P9.TMKNOD + 1 -> new Rmknod(tag, r.qid("qid"));
            case P9.TMKDIR -> new Tmkdir(tag, r.u32("dfid"), r.name("name", false), r.u32("mode"), r.u32("gid"));
            case P9.TMKDIR + 1 -> new Rmkdir(tag, r.qid("qid"));
            case P9.TLINK -> new Tlink(tag, r.u32("dfid"), r.u32("fid"), r.name("name", false));
            case P9.TLINK + 1 -> new Rlink(tag);
            case P9.TRENAME -> new Trename(tag, r.u32("fid"), r.u32("dfid"), r.name("name", false));
            case P9.TRENAME + 1 -> new Rrename(tag);
            case P9.TRENAMEAT -> new Trenameat(tag, r.u32("olddirfid"), r.name("oldname", false), r.u32("newdirfid"),
                    r.name("newname", false));
            case P9.TRENAMEAT + 1 -> new Rrenameat(tag);
            case P9.TUNLINKAT -> new Tunlinkat(tag, r.u32("dirfid"), r.name("name", false), r.u32("flags"));
            case P9.TUNLINKAT + 1 -> new Runlinkat(tag);
            case P9.TREMOVE -> new Tremove(tag, r.u32("fid"));
            case P9.TREMOVE + 1 -> new Rremove(tag);
            case P9.TLOPEN -> new Tlopen(tag, r.u32("fid"), r.u32("flags"));
            case P9.TLOPEN + 1 -> new Rlopen(tag, r.qid("qid"), r.u32("iounit"));
            case P9.TREAD -> new Tread(tag, r.u32("fid"), r.u64("offset"), r.u32("count"));
            case P9.TREAD + 1 -> new Rread(tag, r.view(Integer.toUnsignedLong(r.u32("count")), "Rread"));
            case P9.TWRITE -> new Twrite(tag, r.u32("fid"), r.u64("offset"),
                    r.view(Integer.toUnsignedLong(r.u32("count")), "Twrite"));
            case P9.TWRITE + 1 -> new Rwrite(tag, r.u32("count"));
            case P9.TREADDIR -> new Treaddir(tag, r.u32("fid"), r.u64("offset"), r.u32("count"));
            case P9.TREADDIR + 1 -> new Rreaddir(tag, r.view(Integer.toUnsignedLong(r.u32("count")), "Rreaddir"));
            case P9.TFSYNC -> new Tfsync(tag, r.u32("fid"), r.remaining() == 0 ? 0 : r.u32("datasync"));
            case P9.TFSYNC + 1 -> new Rfsync(tag);
            case P9.TCLUNK -> new Tclunk(tag, r.u32("fid"));
            case P9.TCLUNK + 1 -> new Rclunk(tag);
            case P9.TSTATFS -> new Tstatfs(tag, r.u32("fid"));
            case P9.TSTATFS + 1 -> new Rstatfs(tag, r.u32("type"), r.u32("bsize"), r.u64("blocks"), r.u64("bfree"),
                    r.u64("bavail"), r.u64("files"), r.u64("ffree"), r.u64("fsid"), r.u32("namelen"));
            case P9.TXATTRWALK -> new Txattrwalk(tag, r.u32("fid"), r.u32("newfid"), xattrName(r, true));
            case P9.TXATTRWALK + 1 -> new Rxattrwalk(tag, r.u64("size"));
            case P9.TXATTRCREATE -> new Txattrcreate(tag, r.u32("fid"), xattrName(r, false), r.u64("attr_size"),
                    r.u32("flags"));
            case P9.TXATTRCREATE + 1 -> new Rxattrcreate(tag);
            case P9.TLOCK -> new Tlock(tag, r.u32("fid"), lockType(r), r.u32("flags"), r.u64("start"),
                    r.u64("length"), r.u32("proc_id"), r.bytes("client_id"));
            case P9.TLOCK + 1 -> new Rlock(tag, r.u8("status"));
            case P9.TGETLOCK -> new Tgetlock(tag, r.u32("fid"), lockType(r), r.u64("start"), r.u64("length"),
                    r.u32("proc_id"), r.bytes("client_id"));
            case P9.TGETLOCK + 1 -> new Rgetlock(tag, lockType(r), r.u64("start"), r.u64("length"), r.u32("proc_id"),
                    r.bytes("client_id"));
            default -> throw r.bad(Errno.EOPNOTSUPP, "unknown message type " + type);
        };
    }

    private static List<Name> names(WireReader r) throws MalformedMessageException {
        int n = r.u16("nwname");
        if (n > P9.MAXWELEM) throw r.bad(Errno.EINVAL, "walk of " + n + " names (at most " + P9.MAXWELEM + ")");
        List<Name> names = new ArrayList<>(n);
        for (int i = 0; i < n; i++) names.add(r.name("wname", true));
        return names;
    }

    private static List<Qid> qids(WireReader r) throws MalformedMessageException {
        int n = r.u16("nwqid");
        if (n > P9.MAXWELEM) throw r.bad(Errno.EPROTO, n + " qids (at most " + P9.MAXWELEM + ")");
        List<Qid> qids = new ArrayList<>(n);
        for (int i = 0; i < n; i++) qids.add(r.qid("wqid"));
        return qids;
    }

    private static byte[] target(WireReader r) throws MalformedMessageException {
        byte[] t = r.bytes("symlink target");
        if (t.length == 0) throw r.bad(Errno.ENOENT, "empty symlink target");
        return t;
    }

    private static byte[] xattrName(WireReader r, boolean emptyAllowed) throws MalformedMessageException {
        byte[] n = r.bytes("xattr name");
        if (n.length == 0 && !emptyAllowed) throw r.bad(Errno.EINVAL, "empty xattr name");
        if (n.length > 255) throw r.bad(Errno.ERANGE, "xattr name longer than 255 bytes");
        return n;
    }

    private static int lockType(WireReader r) throws MalformedMessageException {
        int t = r.u8("lock type");
        if (t > P9.LOCK_TYPE_UNLCK) throw r.bad(Errno.EINVAL, "lock type " + t);
        return t;
    }
}
