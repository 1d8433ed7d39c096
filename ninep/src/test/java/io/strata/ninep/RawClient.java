package io.strata.ninep;

import io.strata.core.Name;
import io.strata.ninep.wire.Decoder;
import io.strata.ninep.wire.Encoder;
import io.strata.ninep.wire.Message;
import io.strata.ninep.wire.Message.*;
import io.strata.ninep.wire.P9;
import java.io.EOFException;
import java.io.IOException;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;

/** A minimal synchronous 9P test client: sends encoded messages or raw bytes, reads framed replies. */
final class RawClient implements AutoCloseable {
    final SocketChannel ch;
    private int nextTag = 1;

    RawClient(SocketAddress addr) throws IOException {
        ch = addr instanceof UnixDomainSocketAddress ? SocketChannel.open(StandardProtocolFamily.UNIX) : SocketChannel.open();
        ch.connect(addr);
        ch.socket(); // no-op for unix; keeps the API symmetric
    }

    int tag() {
        return nextTag++ & 0x7FFF;
    }

    void send(Message m) throws IOException {
        sendRaw(Encoder.encode(m));
    }

    void sendRaw(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }

    void sendRaw(byte[] b) throws IOException {
        sendRaw(ByteBuffer.wrap(b));
    }

    Message receive() throws IOException {
        ByteBuffer head = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        fill(head);
        int size = head.getInt(0);
        if (size < 7 || size > (2 << 20)) throw new IOException("bad reply size " + size);
        ByteBuffer frame = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        frame.putInt(size);
        fill(frame);
        frame.flip();
        try {
            return Decoder.decode(frame, 2 << 20);
        } catch (Exception e) {
            throw new IOException(e);
        }
    }

    private void fill(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) if (ch.read(b) < 0) throw new EOFException();
    }

    /** True if the server closed the connection (reads EOF). */
    boolean closedByServer() {
        try {
            receive();
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    Message rpc(Message m) throws IOException {
        send(m);
        Message r = receive();
        if (r.tag() != m.tag()) throw new IOException("tag " + r.tag() + " answered for " + m.tag());
        return r;
    }

    /** Version + attach as {@code uid}; fid 0 is the root. */
    RawClient hello(int uid) throws IOException {
        Message v = rpc(new Tversion(P9.NOTAG, 65536, P9.VERSION));
        if (!(v instanceof Rversion rv) || !rv.version().equals(P9.VERSION)) throw new IOException("version: " + v);
        Message a = rpc(new Tattach(tag(), 0, P9.NOFID, "u".getBytes(), new byte[0], uid));
        if (!(a instanceof Rattach)) throw new IOException("attach: " + a);
        return this;
    }

    static List<Name> path(String p) {
        List<Name> out = new ArrayList<>();
        for (String s : p.split("/")) if (!s.isEmpty()) out.add(Name.of(s));
        return out;
    }

    Message walk(int fid, int newfid, String p) throws IOException {
        return rpc(new Twalk(tag(), fid, newfid, path(p)));
    }

    int errno(Message m) {
        return m instanceof Rlerror e ? e.ecode() : 0;
    }

    @Override
    public void close() throws IOException {
        ch.close();
    }
}
