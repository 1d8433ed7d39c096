package io.strata.ninep.wire;

import io.strata.core.Name;
import io.strata.ninep.wire.Message.*;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** One valid instance of every message type, with non-trivial field values. */
final class Samples {
    private Samples() {}

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static final Qid QID = new Qid(P9.QTDIR, 0x01020304, 0x1122334455667788L);
    static final Stat STAT = new Stat(040755, 1000, 100, 3, 0x0801, 4096, 4096, 8, 1_700_000_000L, 123, 1_700_000_001L,
            456, 1_700_000_002L, 789, 1_600_000_000L, 5, 7, 42);

    static List<Message> all() {
        Name a = Name.of("a"), bname = Name.of("b\u00e9"), dotdot = Name.DOTDOT;
        ByteBuffer data = ByteBuffer.wrap(b("hello, 9p"));
        DirEntries d = new DirEntries(200);
        d.add(new DirEntry(QID, 1, 4, Name.DOT));
        d.add(new DirEntry(new Qid(0, 0, 9), 2, 8, Name.of("file")));
        return List.of(
                new Tversion(P9.NOTAG, 65536, P9.VERSION), new Rversion(P9.NOTAG, 8192, "9P2000.L.Google.2"),
                new Tauth(1, 5, b("alice"), b("/srv"), 1000), new Rauth(1, QID),
                new Tattach(2, 0, P9.NOFID, b("alice"), b(""), 1000), new Rattach(2, QID),
                new Rlerror(3, 2), new Tflush(4, 3), new Rflush(4),
                new Twalk(5, 0, 1, List.of(a, dotdot, bname)), new Rwalk(5, List.of(QID, new Qid(0, 1, 2))),
                new Twalk(6, 0, 1, List.of()), new Rwalk(6, List.of()),
                new Twalkgetattr(7, 0, 2, List.of(a, bname)), new Rwalkgetattr(7, P9.GETATTR_ALL, STAT, List.of(QID, QID)),
                new Tgetattr(8, 1, P9.GETATTR_BASIC), new Rgetattr(8, P9.GETATTR_BASIC, QID, STAT),
                new Tsetattr(9, 1, P9.SETATTR_MODE | P9.SETATTR_MTIME | P9.SETATTR_MTIME_SET, 0644, -1, -1, 77, 1, 2, 3, 4),
                new Rsetattr(9), new Treadlink(10, 3), new Rreadlink(10, b("../x/y")),
                new Tlcreate(11, 1, a, 0101, 0644, 100), new Rlcreate(11, QID, 8168),
                new Tsymlink(12, 1, bname, b("/etc/passwd"), 100), new Rsymlink(12, QID),
                new Tmknod(13, 1, a, 020644, 1, 3, 100), new Rmknod(13, QID),
                new Tmkdir(14, 1, a, 0755, 100), new Rmkdir(14, QID),
                new Tlink(15, 1, 2, bname), new Rlink(15),
                new Trename(16, 2, 1, a), new Rrename(16),
                new Trenameat(17, 1, a, 2, bname), new Rrenameat(17),
                new Tunlinkat(18, 1, a, P9.AT_REMOVEDIR), new Runlinkat(18),
                new Tremove(19, 4), new Rremove(19),
                new Tlopen(20, 1, 02), new Rlopen(20, QID, 0),
                new Tread(21, 1, 1L << 40, 4096), new Rread(21, data.duplicate()),
                new Twrite(22, 1, 12, data.duplicate()), new Rwrite(22, 9),
                new Treaddir(23, 1, 0, 8192), new Rreaddir(23, d.payload()),
                new Tfsync(24, 1, 1), new Rfsync(24),
                new Tclunk(25, 1), new Rclunk(25),
                new Tstatfs(26, 0), new Rstatfs(26, P9.V9FS_MAGIC, 4096, 100, 50, 40, 1000, 900, 0xabcdef, 255),
                new Txattrwalk(27, 1, 2, b("")), new Txattrwalk(27, 1, 2, b("user.mime")), new Rxattrwalk(27, 12),
                new Txattrcreate(28, 1, b("user.k"), 5, 1), new Rxattrcreate(28),
                new Tlock(29, 1, P9.LOCK_TYPE_WRLCK, P9.LOCK_FLAGS_BLOCK, 0, 0, 1234, b("host")), new Rlock(29, P9.LOCK_BLOCKED),
                new Tgetlock(30, 1, P9.LOCK_TYPE_RDLCK, 10, 20, 1234, b("host")),
                new Rgetlock(30, P9.LOCK_TYPE_UNLCK, 10, 20, 1234, b("host")));
    }

    static byte[] bytes(Message m) {
        ByteBuffer e = Encoder.encode(m);
        byte[] out = new byte[e.remaining()];
        e.get(out);
        return out;
    }
}
