package io.strata.ninep.wire;

import io.strata.core.Name;
import io.strata.ninep.wire.Message.*;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Turns a {@link Message} into its wire form (size[4] type[1] tag[2] body), little-endian. The
 * caller keeps messages within the negotiated msize (readers clamp counts); the encoder only
 * refuses what cannot be expressed (strings over 65535 bytes, more than 16 walk elements).
 */
public final class Encoder {
    private Encoder() {}

    /** A new buffer (position 0, limit = size) holding the encoded message. */
    public static ByteBuffer encode(Message m) {
        WireWriter w = new WireWriter(64 + payloadHint(m));
        w.u32(0).u8(m.type()).u16(m.tag());
        body(m, w);
        return w.finish();
    }

    private static int payloadHint(Message m) {
        return switch (m) {
            case Rread r -> r.data().remaining();
            case Twrite t -> t.data().remaining();
            case Rreaddir r -> r.data().remaining();
            default -> 0;
        };
    }

    private static void body(Message m, WireWriter w) {
        switch (m) {
            case Tversion t -> w.u32(t.msize()).text(t.version());
            case Rversion r -> w.u32(r.msize()).text(r.version());
            case Tauth t -> w.u32(t.afid()).bytes(t.uname()).bytes(t.aname()).u32(t.nUname());
            case Rauth r -> w.qid(r.aqid());
            case Tattach t -> w.u32(t.fid()).u32(t.afid()).bytes(t.uname()).bytes(t.aname()).u32(t.nUname());
            case Rattach r -> w.qid(r.qid());
            case Rlerror r -> w.u32(r.ecode());
            case Tflush t -> w.u16(t.oldtag());
            case Rflush r -> {}
            case Twalk t -> names(w.u32(t.fid()).u32(t.newfid()), t.names());
            case Rwalk r -> qids(w, r.qids());
            case Twalkgetattr t -> names(w.u32(t.fid()).u32(t.newfid()), t.names());
            case Rwalkgetattr r -> qids(w.u64(r.valid()).stat(r.attr()), r.qids());
            case Tgetattr t -> w.u32(t.fid()).u64(t.requestMask());
            case Rgetattr r -> w.u64(r.valid()).qid(r.qid()).stat(r.attr());
            case Tsetattr t -> w.u32(t.fid()).u32(t.valid()).u32(t.mode()).u32(t.uid()).u32(t.gid()).u64(t.size())
                    .u64(t.atimeSec()).u64(t.atimeNsec()).u64(t.mtimeSec()).u64(t.mtimeNsec());
            case Rsetattr r -> {}
            case Treadlink t -> w.u32(t.fid());
            case Rreadlink r -> w.bytes(r.target());
            case Tlcreate t -> w.u32(t.fid()).name(t.name()).u32(t.flags()).u32(t.mode()).u32(t.gid());
            case Rlcreate r -> w.qid(r.qid()).u32(r.iounit());
            case Tsymlink t -> w.u32(t.dfid()).name(t.name()).bytes(t.target()).u32(t.gid());
            case Rsymlink r -> w.qid(r.qid());
            case Tmknod t -> w.u32(t.dfid()).name(t.name()).u32(t.mode()).u32(t.major()).u32(t.minor()).u32(t.gid());
            case Rmknod r -> w.qid(r.qid());
            case Tmkdir t -> w.u32(t.dfid()).name(t.name()).u32(t.mode()).u32(t.gid());
            case Rmkdir r -> w.qid(r.qid());
            case Tlink t -> w.u32(t.dfid()).u32(t.fid()).name(t.name());
            case Rlink r -> {}
            case Trename t -> w.u32(t.fid()).u32(t.dfid()).name(t.name());
            case Rrename r -> {}
            case Trenameat t -> w.u32(t.olddirfid()).name(t.oldname()).u32(t.newdirfid()).name(t.newname());
            case Rrenameat r -> {}
            case Tunlinkat t -> w.u32(t.dirfid()).name(t.name()).u32(t.flags());
            case Runlinkat r -> {}
            case Tremove t -> w.u32(t.fid());
            case Rremove r -> {}
            case Tlopen t -> w.u32(t.fid()).u32(t.flags());
            case Rlopen r -> w.qid(r.qid()).u32(r.iounit());
            case Tread t -> w.u32(t.fid()).u64(t.offset()).u32(t.count());
            case Rread r -> w.u32(r.data().remaining()).raw(r.data());
            case Twrite t -> w.u32(t.fid()).u64(t.offset()).u32(t.data().remaining()).raw(t.data());
            case Rwrite r -> w.u32(r.count());
            case Treaddir t -> w.u32(t.fid()).u64(t.offset()).u32(t.count());
            case Rreaddir r -> w.u32(r.data().remaining()).raw(r.data());
            case Tfsync t -> w.u32(t.fid()).u32(t.datasync());
            case Rfsync r -> {}
            case Tclunk t -> w.u32(t.fid());
            case Rclunk r -> {}
            case Tstatfs t -> w.u32(t.fid());
            case Rstatfs r -> w.u32(r.fsType()).u32(r.bsize()).u64(r.blocks()).u64(r.bfree()).u64(r.bavail())
                    .u64(r.files()).u64(r.ffree()).u64(r.fsid()).u32(r.namelen());
            case Txattrwalk t -> w.u32(t.fid()).u32(t.newfid()).bytes(t.name());
            case Rxattrwalk r -> w.u64(r.size());
            case Txattrcreate t -> w.u32(t.fid()).bytes(t.name()).u64(t.attrSize()).u32(t.flags());
            case Rxattrcreate r -> {}
            case Tlock t -> w.u32(t.fid()).u8(t.lockType()).u32(t.flags()).u64(t.start()).u64(t.length())
                    .u32(t.procId()).bytes(t.clientId());
            case Rlock r -> w.u8(r.status());
            case Tgetlock t -> w.u32(t.fid()).u8(t.lockType()).u64(t.start()).u64(t.length()).u32(t.procId())
                    .bytes(t.clientId());
            case Rgetlock r -> w.u8(r.lockType()).u64(r.start()).u64(r.length()).u32(r.procId()).bytes(r.clientId());
        }
    }

    private static void names(WireWriter w, List<Name> names) {
        if (names.size() > P9.MAXWELEM) throw new IllegalArgumentException("more than 16 walk names");
        w.u16(names.size());
        for (Name n : names) w.name(n);
    }

    private static void qids(WireWriter w, List<Qid> qids) {
        if (qids.size() > P9.MAXWELEM) throw new IllegalArgumentException("more than 16 qids");
        w.u16(qids.size());
        for (Qid q : qids) w.qid(q);
    }
}
