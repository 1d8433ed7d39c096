package io.strata.ninep.wire;

import io.strata.core.Errno;
import io.strata.core.Name;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/** Packs directory entries into an Rreaddir payload of bounded size, and unpacks them. */
public final class DirEntries {
    private final ByteBuffer buf;

    /** A packer that never exceeds {@code capacity} bytes. */
    public DirEntries(int capacity) {
        this.buf = ByteBuffer.allocate(capacity).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Appends an entry if it fits; false (nothing written) otherwise. */
    public boolean add(DirEntry e) {
        if (e.size() > buf.remaining()) return false;
        Qid q = e.qid();
        buf.put((byte) q.type()).putInt(q.version()).putLong(q.path());
        buf.putLong(e.nextOffset()).put((byte) e.type()).putShort((short) e.name().length());
        e.name().putTo(buf);
        return true;
    }

    public boolean isEmpty() {
        return buf.position() == 0;
    }

    /** The packed bytes (position 0 to the end of the last entry). */
    public ByteBuffer payload() {
        return buf.duplicate().flip();
    }

    /** Unpacks an Rreaddir payload; a malformed one is EPROTO under {@code tag}. */
    public static List<DirEntry> parse(ByteBuffer payload, int tag) throws MalformedMessageException {
        WireReader r = new WireReader(payload, tag);
        List<DirEntry> out = new ArrayList<>();
        while (r.remaining() > 0) {
            Qid q = r.qid("dirent qid");
            long next = r.u64("dirent offset");
            int type = r.u8("dirent type");
            Name n = r.name("dirent name", true);
            out.add(new DirEntry(q, next, type, n));
        }
        if (r.remaining() != 0) throw r.bad(Errno.EPROTO, "dirent trailing bytes");
        return out;
    }
}
