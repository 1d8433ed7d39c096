package io.strata.ninep.client;

import io.strata.core.Errno;
import io.strata.core.FsException;
import io.strata.ninep.wire.Decoder;
import io.strata.ninep.wire.Encoder;
import io.strata.ninep.wire.Message;
import io.strata.ninep.wire.P9;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntFunction;
import java.lang.System.Logger.Level;

/**
 * One 9P connection with many requests in flight: callers take a free tag, write their request
 * (writes serialised by {@code writeLock}) and wait on a future; one reader thread matches replies
 * to tags. Every wait has the configured timeout. When the connection dies (read error, bad frame,
 * timeout) every waiter is released with EIO and one line is logged; the channel stays dead.
 *
 * <p>Locks: {@code writeLock} guards the socket's write side only; {@code pending} is a concurrent
 * map (tag -> future). No lock is held while waiting for a reply.
 */
public final class RpcChannel implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(RpcChannel.class.getName());

    private final SocketChannel socket;
    private final Duration timeout;
    private final RpcStats stats;
    private final Object writeLock = new Object();
    private final ConcurrentHashMap<Integer, CompletableFuture<Message>> pending = new ConcurrentHashMap<>();
    private final Thread reader;
    private volatile int msize;
    private volatile String deadReason;
    private int nextTag; // guarded by synchronized (pending) in take()

    private RpcChannel(SocketChannel socket, int msize, Duration timeout, RpcStats stats) {
        this.socket = socket;
        this.msize = msize;
        this.timeout = timeout;
        this.stats = stats;
        this.reader = Thread.ofPlatform().daemon().name("9p-client-reader").start(this::readLoop);
    }

    /** Connects; the caller sends Tversion first and reports the granted size with {@link #negotiated}. */
    public static RpcChannel open(SocketAddress address, int msize, Duration timeout, RpcStats stats) throws IOException {
        return new RpcChannel(SocketChannel.open(address), msize, timeout, stats);
    }

    public int msize() {
        return msize;
    }

    /** Lowers msize to what the server granted in Rversion. */
    public void negotiated(int serverMsize) {
        if (serverMsize < msize) msize = serverMsize;
    }

    public boolean dead() {
        return deadReason != null;
    }

    /**
     * Sends the request {@code build(tag)} and returns its reply. Rlerror becomes an FsException
     * with that errno; a dead connection or a timeout becomes EIO.
     */
    public Message call(IntFunction<Message> build) throws FsException {
        CompletableFuture<Message> f = new CompletableFuture<>();
        int tag = take(f);
        Message req = build.apply(tag);
        if (req.tag() != tag) { // Tversion travels with NOTAG: wait on the tag the request carries
            pending.remove(tag, f);
            if (pending.putIfAbsent(req.tag(), f) != null) throw new FsException(Errno.EAGAIN, "9p: tag in use");
            tag = req.tag();
        }
        try {
            send(req);
            Message reply;
            try {
                reply = f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                die("no reply to " + RpcStats.name(req.type()) + " within " + timeout.toSeconds() + " s");
                throw new FsException(Errno.EIO, "9p: server did not answer");
            } catch (ExecutionException e) {
                throw new FsException(Errno.EIO, "9p: " + e.getCause().getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new FsException(Errno.EINTR, "9p: interrupted");
            }
            if (reply instanceof Message.Rlerror err) throw new FsException(err.ecode());
            if (reply.type() != req.type() + 1) {
                die("reply " + RpcStats.name(reply.type() - 1) + " to " + RpcStats.name(req.type()));
                throw new FsException(Errno.EIO, "9p: mismatched reply");
            }
            return reply;
        } finally {
            pending.remove(tag, f);
        }
    }

    private int take(CompletableFuture<Message> f) throws FsException {
        if (deadReason != null) throw new FsException(Errno.EIO, "9p connection lost: " + deadReason);
        synchronized (pending) {
            for (int i = 0; i < P9.NOTAG; i++) {
                int tag = nextTag;
                nextTag = (nextTag + 1) % 0xFFFF; // 0xFFFF is NOTAG
                if (pending.putIfAbsent(tag, f) == null) return tag;
            }
        }
        throw new FsException(Errno.EAGAIN, "9p: all tags in flight");
    }

    private void send(Message req) throws FsException {
        ByteBuffer b = Encoder.encode(req);
        if (b.remaining() > msize) throw new FsException(Errno.EIO, "9p: request larger than msize");
        stats.sent(req.type());
        synchronized (writeLock) {
            try {
                while (b.hasRemaining()) socket.write(b);
            } catch (IOException e) {
                die("write failed: " + e.getMessage());
                throw new FsException(Errno.EIO, "9p connection lost: " + e.getMessage());
            }
        }
    }

    private void readLoop() {
        ByteBuffer head = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        try {
            while (true) {
                head.clear();
                if (!fill(head)) { die("server closed the connection"); return; }
                long size = Integer.toUnsignedLong(head.getInt(0));
                if (size < P9.HEADER || size > msize) { die("reply size " + size + " outside [7, msize]"); return; }
                ByteBuffer frame = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
                frame.putInt((int) size);
                if (!fill(frame)) { die("server closed the connection mid-message"); return; }
                frame.flip();
                Message m = Decoder.decode(frame, msize);
                CompletableFuture<Message> f = pending.get(m.tag());
                if (f != null) f.complete(m); // a reply to a request that already timed out is dropped
            }
        } catch (Exception e) {
            die("read failed: " + e.getMessage());
        }
    }

    private boolean fill(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) if (socket.read(b) < 0) return false;
        return true;
    }

    /** Marks the channel dead once (one log line) and releases every waiter with EIO. */
    private void die(String reason) {
        synchronized (this) {
            if (deadReason != null) return;
            deadReason = reason;
        }
        LOG.log(Level.WARNING, "9p client: connection lost: " + reason);
        IOException e = new IOException("connection lost: " + reason);
        pending.values().forEach(f -> f.completeExceptionally(e));
        try { socket.close(); } catch (IOException ignored) { }
    }

    @Override
    public void close() {
        synchronized (this) {
            if (deadReason == null) deadReason = "closed";
        }
        try { socket.close(); } catch (IOException ignored) { }
        pending.values().forEach(f -> f.completeExceptionally(new IOException("closed")));
    }
}
