package io.strata.ninep.client;

import static org.junit.jupiter.api.Assertions.*;

import io.strata.core.*;
import io.strata.memory.MemoryFileSystem;
import io.strata.memory.MemoryOptions;
import io.strata.ninep.NinepServer;
import io.strata.ninep.NinepServerOptions;
import io.strata.ninep.wire.Message;
import io.strata.ninep.wire.P9;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.*;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class RpcChannelTest {

    @Test
    void manyRequestsInFlightOnOneConnection() throws Exception {
        try (MemoryFileSystem mem = new MemoryFileSystem(MemoryOptions.defaults(0, 0));
             NinepServer server = NinepServer.start(mem, new InetSocketAddress("127.0.0.1", 0), NinepServerOptions.defaults())) {
            long at = FileSystem.ROOT;
            for (String n : List.of("a", "b", "c")) {
                Entry e = mem.mkdir(Caller.ROOT, at, Name.of(n), 0755, 0);
                at = e.ino();
            }
            RpcStats stats = new RpcStats();
            try (RpcChannel c = RpcChannel.open(server.address(), 65536, Duration.ofSeconds(10), stats)) {
                Message.Rversion v = (Message.Rversion) c.call(t -> new Message.Tversion(P9.NOTAG, 65536, P9.VERSION));
                c.negotiated(v.msize());
                c.call(t -> new Message.Tattach(t, 0, P9.NOFID, "root".getBytes(StandardCharsets.UTF_8), new byte[0], 0));
                ExecutorService pool = Executors.newFixedThreadPool(8);
                try {
                    List<Future<Message>> walks = new ArrayList<>();
                    for (int i = 0; i < 64; i++) {
                        int fid = 100 + i;
                        walks.add(pool.submit(() -> c.call(t -> new Message.Twalk(t, 0, fid,
                                List.of(Name.of("a"), Name.of("b"), Name.of("c"))))));
                    }
                    for (Future<Message> w : walks) assertEquals(3, ((Message.Rwalk) w.get()).qids().size());
                } finally {
                    pool.shutdownNow();
                }
                FsException missing = assertThrows(FsException.class, () -> c.call(t -> new Message.Twalk(t, 0, 999,
                        List.of(Name.of("nope")))));
                assertEquals(Errno.ENOENT, missing.errno());
                assertEquals(64 + 1, stats.sent("Twalk"));
                assertEquals(1, stats.sent("Tattach"));
            }
        }
    }

    @Test
    void silentServerGivesEioWithinTheTimeoutAndReleasesEveryWaiter() throws Exception {
        try (ServerSocket ss = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            CompletableFuture<Socket> accepted = CompletableFuture.supplyAsync(() -> {
                try { return ss.accept(); } catch (Exception e) { throw new CompletionException(e); }
            });
            try (RpcChannel c = RpcChannel.open(ss.getLocalSocketAddress(), 8192, Duration.ofSeconds(1), new RpcStats())) {
                ExecutorService pool = Executors.newFixedThreadPool(4);
                try {
                    List<Future<Integer>> calls = new ArrayList<>();
                    for (int i = 0; i < 4; i++)
                        calls.add(pool.submit(() -> {
                            try {
                                c.call(t -> new Message.Tclunk(t, 1));
                                return 0;
                            } catch (FsException e) {
                                return e.errno();
                            }
                        }));
                    for (Future<Integer> f : calls) assertEquals(Errno.EIO, f.get(10, TimeUnit.SECONDS));
                } finally {
                    pool.shutdownNow();
                }
                assertTrue(c.dead());
                assertEquals(Errno.EIO, assertThrows(FsException.class, () -> c.call(t -> new Message.Tclunk(t, 1))).errno());
            } finally {
                accepted.get(5, TimeUnit.SECONDS).close();
            }
        }
    }

    @Test
    void closedServerGivesEio() throws Exception {
        try (ServerSocket ss = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            CompletableFuture<Void> closer = CompletableFuture.runAsync(() -> {
                try { ss.accept().close(); } catch (Exception e) { throw new CompletionException(e); }
            });
            try (RpcChannel c = RpcChannel.open(ss.getLocalSocketAddress(), 8192, Duration.ofSeconds(30), new RpcStats())) {
                closer.get(5, TimeUnit.SECONDS);
                long t0 = System.nanoTime();
                FsException e = assertThrows(FsException.class, () -> c.call(t -> new Message.Tclunk(t, 1)));
                assertEquals(Errno.EIO, e.errno());
                assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(20), "did not wait for the 30 s timeout");
            }
        }
    }
}
