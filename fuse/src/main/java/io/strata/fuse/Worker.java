package io.strata.fuse;

import io.strata.core.FsException;
import io.strata.core.Errno;
import io.strata.sys.Libc;
import io.strata.sys.SysException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * One serving thread: reads a request from its channel into a native buffer, dispatches it and
 * writes the reply from a second native buffer. Both buffers live as long as the thread, so the
 * steady state allocates only what the file system itself does.
 *
 * <p>No request can end the loop: bad bytes get EINVAL, file-system errors their errno, and any
 * unexpected exception EIO plus a log line. Only the end of the connection (ENODEV) stops it.
 */
final class Worker {
    private static final System.Logger LOG = System.getLogger("strata.fuse");

    private final Channel channel;
    private final Dispatcher dispatcher;
    private final RequestLog log;
    private final boolean ownsFd;
    /** True while a request is being handled (FuseSession waits for in-flight calls before the owner closes the fs). */
    private volatile boolean busy;

    Worker(Channel channel, Dispatcher dispatcher, RequestLog log, boolean ownsFd) {
        this.channel = channel;
        this.dispatcher = dispatcher;
        this.log = log;
        this.ownsFd = ownsFd;
    }

    boolean busy() {
        return busy;
    }

    void run() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = arena.allocate(FuseConfig.MAX_WRITE + 8192, 4096);
            Reply reply = new Reply(arena.allocate(FuseConfig.MAX_WRITE + 4096, 4096));
            Request rq = new Request();
            Dispatcher.Context cx = new Dispatcher.Context();
            cx.channel = channel;
            cx.debugging = log != null;
            while (true) {
                long n;
                try {
                    n = Libc.read(channel.fd, in, in.byteSize());
                } catch (SysException e) {
                    int errno = e.errno();
                    if (errno == Errno.EINTR || errno == Errno.EAGAIN || errno == Errno.ENOENT) continue;
                    if (errno != Errno.ENODEV) LOG.log(System.Logger.Level.ERROR, "reading /dev/fuse: " + e.getMessage());
                    return;
                }
                serve(rq, in, (int) n, reply, cx);
            }
        } finally {
            if (ownsFd) Libc.closeQuietly(channel.fd);
        }
    }

    /** Handles one request of {@code n} bytes; package-private so tests can feed raw bytes. */
    void serve(Request rq, MemorySegment in, int n, Reply reply, Dispatcher.Context cx) {
        long t0 = log != null ? System.nanoTime() : 0;
        cx.reset();
        if (log != null) cx.debug.setLength(0);
        int errno = 0;
        int len;
        boolean decoded = false;
        try {
            rq.reset(in, n);
            decoded = true;
            rq.extensions();
            busy = true;
            len = dispatcher.handle(rq, reply, cx);
        } catch (FsException e) {
            errno = e.errno();
            len = 0;
        } catch (BadRequestException e) {
            LOG.log(System.Logger.Level.WARNING, "bad request: " + e.getMessage());
            if (!decoded) return; // not even a header we can answer
            errno = Errno.EINVAL;
            len = 0;
        } catch (RuntimeException | Error e) {
            // Never let a request end a worker: an unanswered request hangs its caller forever.
            LOG.log(System.Logger.Level.ERROR, "internal error serving " + Opcode.name(rq.opcode) + " on node "
                    + rq.nodeid, e);
            errno = Errno.EIO;
            len = 0;
        } finally {
            busy = false;
        }
        // A failed READDIRPLUS may have taken references for entries it never sends.
        if (errno != 0) dispatcher.forgetLost(cx);
        if (rq.opcode == Opcode.FORGET || rq.opcode == Opcode.BATCH_FORGET || rq.opcode == Opcode.INTERRUPT
                || rq.opcode == Opcode.NOTIFY_REPLY) {
            len = Dispatcher.NO_REPLY;
        } else if (errno != 0) {
            len = 0;
        }
        if (log != null) log.line(rq, cx.debug, errno, len, System.nanoTime() - t0);
        if (len == Dispatcher.NO_REPLY) return;
        int total = reply.finish(rq.unique, errno, len);
        try {
            Libc.write(channel.fd, reply.buf, total);
        } catch (SysException e) {
            // ENOENT: the request was interrupted and aborted; a lookup reference we handed out is void.
            if (errno == 0) dispatcher.forgetLost(cx);
            if (e.errno() != Errno.ENOENT) {
                LOG.log(System.Logger.Level.WARNING, "reply to " + Opcode.name(rq.opcode) + ": " + e.getMessage());
            }
        }
    }
}
