package io.strata.ninep;

import io.strata.core.FileSystem;
import io.strata.core.locks.LockTable;
import java.io.IOException;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A 9P2000.L server exporting one {@link FileSystem} on a TCP or Unix-domain socket (JDK channels,
 * no native code). Each connection attaches its own {@link io.strata.core.Session}, so a
 * disconnect releases exactly that client's references and handles; the server never closes the
 * file system (its owner does, after {@link #close()}).
 *
 * <p>Threads: one virtual thread accepts, one reads per connection, and each request runs on its
 * own virtual thread. Locks: {@link #connections} is concurrent; POSIX locks live in one
 * {@link LockTable} shared by all connections (its own monitor, innermost). See {@link Connection}.
 */
public final class NinepServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("io.strata.ninep");

    private final FileSystem fs;
    private final NinepServerOptions options;
    private final ServerSocketChannel server;
    private final SocketAddress address;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final LockTable locks = new LockTable();
    private final ConcurrentHashMap<Long, Connection> connections = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private final Thread acceptor;
    private volatile boolean closed;

    private NinepServer(FileSystem fs, ServerSocketChannel server, NinepServerOptions options) throws IOException {
        this.fs = fs;
        this.options = options;
        this.server = server;
        this.address = server.getLocalAddress();
        this.acceptor = Thread.ofVirtual().name("9p-accept").unstarted(this::acceptLoop);
    }

    /**
     * Starts serving {@code fs} on {@code addr}: an {@link java.net.InetSocketAddress} (port 0 picks
     * a free one) or a {@link UnixDomainSocketAddress} (the socket file must not exist).
     */
    public static NinepServer start(FileSystem fs, SocketAddress addr, NinepServerOptions o) throws IOException {
        ServerSocketChannel ch = addr instanceof UnixDomainSocketAddress
                ? ServerSocketChannel.open(StandardProtocolFamily.UNIX) : ServerSocketChannel.open();
        try {
            ch.bind(addr);
        } catch (IOException e) {
            ch.close();
            throw e;
        }
        NinepServer s = new NinepServer(fs, ch, o);
        s.acceptor.start();
        return s;
    }

    /** The bound address (with the real port when 0 was asked). */
    public SocketAddress address() {
        return address;
    }

    /** Connections currently open. */
    public int connectionCount() {
        return connections.size();
    }

    /** Fids held over all connections (tests: everything is released after clunks and disconnects). */
    int fidCount() {
        return connections.values().stream().mapToInt(Connection::fidCount).sum();
    }

    private void acceptLoop() {
        while (!closed) {
            SocketChannel c;
            try {
                c = server.accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                if (closed) return;
                LOG.log(System.Logger.Level.WARNING, "9p accept failed: " + e.getMessage());
                continue;
            }
            long id = ids.incrementAndGet();
            Connection conn = new Connection(c, id, fs, executor, options, locks, () -> connections.remove(id));
            connections.put(id, conn);
            if (closed) {
                conn.close("server closed");
                return;
            }
            Thread.ofVirtual().name("9p-conn-" + id).start(conn::run);
        }
    }

    /** Stops accepting, ends every connection (releasing what they held) and removes a Unix socket file. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        for (Connection c : List.copyOf(connections.values())) c.close("server closed");
        executor.shutdown();
        try {
            executor.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (address instanceof UnixDomainSocketAddress u) {
            try {
                Files.deleteIfExists(u.getPath());
            } catch (IOException ignored) {
                // left behind; a later bind reports it
            }
        }
    }
}
