package io.strata.ninep;

import io.strata.core.Errno;
import io.strata.core.FileSystem;
import io.strata.core.FsException;
import io.strata.core.Session;
import io.strata.core.locks.LockTable;
import io.strata.ninep.wire.Decoder;
import io.strata.ninep.wire.Encoder;
import io.strata.ninep.wire.MalformedMessageException;
import io.strata.ninep.wire.Message;
import io.strata.ninep.wire.Message.*;
import io.strata.ninep.wire.P9;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;

/**
 * One client connection: a reader thread that frames and decodes messages, and request tasks on
 * the server's executor that answer them in any order.
 *
 * <p>The reader handles Tversion and Tflush itself (they change connection state or depend on
 * other requests); every other request runs as its own task. At most
 * {@link NinepServerOptions#maxInFlight()} requests run at once: the reader waits for a permit
 * before it allocates the next frame, so a client can never make the server hold more than
 * maxInFlight msize buffers. A frame is never allocated before its size is checked against msize.
 *
 * <p>Tflush: the flushed request is not interrupted (SPI calls are short and never wait on other
 * clients: locks answer BLOCKED instead of waiting); Rflush is sent after its reply, which 9P allows.
 *
 * <p>Locks: {@link #writeLock} serializes whole replies on the socket (a reply is written with it
 * held and nothing else is done under it). {@link #pending} (tag -> completion) is concurrent. The
 * connection holds no lock while calling the file system.
 *
 * <p>Hostile input: an answerable malformed request gets Rlerror; a broken header, an oversize
 * frame (answered, then closed) or a reused tag closes this connection only, with one log line.
 */
final class Connection {
    private static final System.Logger LOG = System.getLogger("io.strata.ninep");

    private final SocketChannel channel;
    private final long id;
    private final ExecutorService executor;
    private final NinepServerOptions options;
    private final Session session;
    private final FidTable fids;
    private final Operations ops;
    private final Semaphore inFlight;
    private final ConcurrentHashMap<Integer, CompletableFuture<Void>> pending = new ConcurrentHashMap<>();
    private final Object writeLock = new Object();
    private final Runnable onClose;
    private volatile int msize;
    private volatile boolean versioned;
    private volatile boolean closed;

    Connection(SocketChannel channel, long id, FileSystem fs, ExecutorService executor, NinepServerOptions options,
               LockTable locks, Runnable onClose) {
        this.channel = channel;
        this.id = id;
        this.executor = executor;
        this.options = options;
        this.session = Session.attach(fs, "9p:conn-" + id, null);
        this.fids = new FidTable(session);
        this.ops = new Operations(session, fids, options, locks, id);
        this.inFlight = new Semaphore(options.maxInFlight());
        this.msize = options.msizeCap();
        this.onClose = onClose;
        ops.msize(msize);
    }

    long id() {
        return id;
    }

    /** Fids currently held (for tests). */
    int fidCount() {
        return fids.size();
    }

    Session session() {
        return session;
    }

    /** The reader loop; returns when the connection ends. */
    void run() {
        String why = "closed by client";
        try {
            while (!closed) {
                if (!readOne()) {
                    why = "protocol violation";
                    break;
                }
            }
        } catch (EOFException e) {
            // the client went away
        } catch (IOException e) {
            if (!closed) why = "I/O error: " + e.getMessage();
        } catch (InterruptedException e) {
            why = "server shutting down";
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            why = "internal error: " + e;
            LOG.log(System.Logger.Level.WARNING, "9p connection " + id + ": internal error", e);
        } finally {
            close(why);
        }
    }

    private void readFully(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            if (channel.read(b) < 0) throw new EOFException();
        }
    }

    /** Reads and dispatches one message; false if the connection must be closed. */
    private boolean readOne() throws IOException, InterruptedException {
        ByteBuffer head = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        readFully(head);
        long size = Integer.toUnsignedLong(head.getInt(0));
        if (size < P9.HEADER) {
            log("size field " + size + " below the header");
            return false;
        }
        if (size > msize) {
            ByteBuffer typeTag = ByteBuffer.allocate(3).order(ByteOrder.LITTLE_ENDIAN);
            readFully(typeTag);
            int tag = typeTag.getShort(1) & 0xFFFF;
            send(new Rlerror(tag, Errno.EPROTO));
            log("message of " + size + " bytes exceeds msize " + msize);
            return false; // the rest of the frame cannot be skipped cheaply or trusted
        }
        inFlight.acquire();
        boolean handedOff = false;
        try {
            ByteBuffer frame = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
            frame.putInt((int) size);
            readFully(frame);
            frame.flip();
            Message m;
            try {
                m = Decoder.decode(frame, msize);
            } catch (MalformedMessageException e) {
                if (!e.answerable()) {
                    log(e.getMessage());
                    return false;
                }
                send(new Rlerror(e.tag(), e.errno()));
                return true;
            }
            if (!(m instanceof Request r)) {
                send(new Rlerror(m.tag(), Errno.EPROTO));
                return true;
            }
            switch (r) {
                case Tversion v -> version(v);
                case Tflush f -> flush(f);
                default -> {
                    if (!versioned) {
                        send(new Rlerror(r.tag(), Errno.EPROTO));
                        return true;
                    }
                    CompletableFuture<Void> done = new CompletableFuture<>();
                    if (pending.putIfAbsent(r.tag(), done) != null) {
                        log("tag " + r.tag() + " reused while in flight");
                        return false;
                    }
                    try {
                        executor.execute(() -> serve(r, done));
                        handedOff = true;
                    } catch (RejectedExecutionException shuttingDown) {
                        pending.remove(r.tag());
                        return false;
                    }
                }
            }
            return true;
        } finally {
            if (!handedOff) inFlight.release();
        }
    }

    private void serve(Request r, CompletableFuture<Void> done) {
        try {
            Reply reply;
            try {
                reply = ops.handle(r);
            } catch (FsException e) {
                reply = new Rlerror(r.tag(), e.errno());
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "9p connection " + id + ": " + r.getClass().getSimpleName()
                        + " failed", e);
                reply = new Rlerror(r.tag(), Errno.EIO);
            }
            send(reply, r.tag());
        } finally {
            pending.remove(r.tag(), done); // if the reply could not be built or sent
            inFlight.release();
            done.complete(null);
        }
    }

    private void version(Tversion v) {
        long asked = Integer.toUnsignedLong(v.msize());
        int agreed = (int) Math.min(asked, options.msizeCap());
        String answer = negotiate(v.version());
        if (answer.equals(P9.UNKNOWN_VERSION) || agreed < NinepServerOptions.MIN_MSIZE) {
            send(new Rversion(v.tag(), agreed, P9.UNKNOWN_VERSION));
            return;
        }
        // A new session: every fid of the old one goes (requests still running finish first).
        fids.clear();
        msize = agreed;
        ops.msize(agreed);
        versioned = true;
        send(new Rversion(v.tag(), agreed, answer));
    }

    /** "9P2000.L", or gVisor's "9P2000.L.Google.N" capped at 2 (Twalkgetattr; nothing newer is served). */
    static String negotiate(String asked) {
        if (asked.equals(P9.VERSION)) return P9.VERSION;
        if (asked.startsWith(P9.GOOGLE_PREFIX)) {
            String n = asked.substring(P9.GOOGLE_PREFIX.length());
            if (!n.isEmpty() && n.length() <= 9 && n.chars().allMatch(Character::isDigit)) {
                int v = Math.min(Integer.parseInt(n), 2);
                return v == 0 ? P9.VERSION : P9.GOOGLE_PREFIX + v;
            }
        }
        return P9.UNKNOWN_VERSION;
    }

    private void flush(Tflush f) {
        CompletableFuture<Void> target = pending.get(f.oldtag());
        if (target == null) send(new Rflush(f.tag()));
        else target.whenComplete((v, e) -> send(new Rflush(f.tag())));
    }

    private void send(Reply r) {
        send(r, -1);
    }

    /**
     * Writes a reply; {@code retire} (>= 0) is the tag it answers, freed under the write lock just
     * before the reply goes out. A client may reuse a tag as soon as it reads the reply, so the tag
     * must be free by then; and a Tflush that finds the tag free takes the write lock too, so its
     * Rflush always follows the reply.
     */
    private void send(Reply r, int retire) {
        ByteBuffer out = Encoder.encode(r);
        synchronized (writeLock) {
            if (retire >= 0) pending.remove(retire);
            if (closed) return;
            try {
                while (out.hasRemaining()) channel.write(out);
            } catch (IOException e) {
                // the reader notices too and closes; replies to a dead client are dropped
                try {
                    channel.close();
                } catch (IOException ignored) {
                    // already closing
                }
            }
        }
    }

    private void log(String what) {
        LOG.log(System.Logger.Level.WARNING, "9p connection " + id + ": " + what + "; closing it");
    }

    /** Ends the connection: socket, fids (handles and references), locks, the session. Idempotent. */
    void close(String why) {
        synchronized (writeLock) {
            if (closed) return;
            closed = true;
        }
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing more to say to this client
        }
        fids.clear();
        ops.releaseLocks();
        session.close();
        LOG.log(System.Logger.Level.DEBUG, "9p connection " + id + " ended: " + why);
        onClose.run();
    }
}
