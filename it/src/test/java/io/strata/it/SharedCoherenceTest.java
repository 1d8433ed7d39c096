package io.strata.it;

import static io.strata.it.Sh.q;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.core.CacheMode;
import io.strata.fuse.FuseConfig;
import io.strata.passthrough.PassthroughFileSystem;
import io.strata.passthrough.PassthroughOptions;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The vboxsf failure, automated: the host changes a file behind a `shared` passthrough mount and
 * every reader through the mount (nginx with sendfile, a new mmap, FileChannel.transferTo, read,
 * stat, readdir) must see the new bytes at once.
 */
class SharedCoherenceTest {
    private interface Reader {
        String read(Path file) throws Exception;
    }

    private static void runScenario(Path host, Path mounted, Reader reader) throws Exception {
        String a = "A".repeat(4000) + "\n";
        Files.writeString(host, a);
        assertEquals(a, reader.read(mounted), "initial content");
        // 1. Same size, same second: only the bytes change (overwrite in place, no truncate).
        String b = "B".repeat(4000) + "\n";
        try (FileChannel ch = FileChannel.open(host, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(b.getBytes(StandardCharsets.UTF_8)), 0);
        }
        assertEquals(b, reader.read(mounted), "same size rewrite");
        // 2. A different size.
        String c = "C".repeat(9000) + "\n";
        Files.writeString(host, c);
        assertEquals(c, reader.read(mounted), "size change");
        // 3. Replaced by rename (editors, rsync, deploy tools).
        String d = "D".repeat(123) + "\n";
        Path tmp = host.resolveSibling(".tmp-" + host.getFileName());
        Files.writeString(tmp, d);
        Files.move(tmp, host, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        assertEquals(d, reader.read(mounted), "replace by rename");
        // 4. Truncated to empty.
        Files.writeString(host, "");
        assertEquals("", reader.read(mounted), "truncate");
    }

    private static Mounted mountShared(Path src) throws IOException {
        var fs = PassthroughFileSystem.open(src, new PassthroughOptions(CacheMode.SHARED,
                PassthroughOptions.Handles.NEVER, false, true, false));
        // allow_other: nginx workers and other users read through the mount
        return Mounted.mount(fs, FuseConfig.defaults(CacheMode.SHARED).withAccess(true, true, false)).withSource(src);
    }

    @Test
    void nginxWithSendfileServesNewBytes() throws Exception {
        Path src = Files.createTempDirectory(Path.of("/tmp"), "strata-it-src");
        try (Mounted m = mountShared(src); Nginx nginx = Nginx.serve(m.dir)) {
            String url = nginx.url("/page.html");
            runScenario(src.resolve("page.html"), m.path("page.html"), f -> Sh.ok("curl -sf " + url));
            assertTrue(nginx.sendfileOn());
        }
    }

    @Test
    void newMmapAndTransferToAndReadSeeNewBytes() throws Exception {
        Path src = Files.createTempDirectory(Path.of("/tmp"), "strata-it-src");
        try (Mounted m = mountShared(src)) {
            String mmapPy = "import mmap,sys\nf=open(sys.argv[1],'rb')\ntry:\n m=mmap.mmap(f.fileno(),0,prot=mmap.PROT_READ)\n"
                    + " sys.stdout.write(m[:].decode())\nexcept ValueError:\n pass\n";
            Path py = Files.createTempFile(Path.of("/tmp"), "mmap", ".py");
            try {
                Files.writeString(py, mmapPy);
                runScenario(src.resolve("m.txt"), m.path("m.txt"), f -> Sh.ok("python3 " + q(py) + " " + q(f)));
            } finally {
                Files.deleteIfExists(py);
            }
            runScenario(src.resolve("t.txt"), m.path("t.txt"), SharedCoherenceTest::viaTransferTo);
            runScenario(src.resolve("r.txt"), m.path("r.txt"), f -> Files.readString(f));
            runScenario(src.resolve("s.txt"), m.path("s.txt"), f -> Sh.ok("cat " + q(f)));
        }
    }

    @Test
    void statAndReaddirSeeHostChanges() throws Exception {
        Path src = Files.createTempDirectory(Path.of("/tmp"), "strata-it-src");
        try (Mounted m = mountShared(src)) {
            Files.writeString(src.resolve("f"), "12345");
            assertEquals(5, Files.size(m.path("f")));
            Files.writeString(src.resolve("f"), "1234567");
            assertEquals(7, Files.size(m.path("f")), "stat sees the new size");
            Sh.ok("chmod 600 " + q(src.resolve("f")));
            assertEquals("600", Sh.ok("stat -c %a " + q(m.path("f"))).trim(), "stat sees chmod");
            assertEquals("f", Sh.ok("ls " + q(m.dir)).trim());
            Files.writeString(src.resolve("g"), "");
            assertEquals("f\ng", Sh.ok("ls " + q(m.dir)).trim(), "readdir sees a create");
            Files.delete(src.resolve("f"));
            assertEquals("g", Sh.ok("ls " + q(m.dir)).trim(), "readdir sees a delete");
            assertTrue(!Files.exists(m.path("f")), "lookup sees the delete");
            Files.move(src.resolve("g"), src.resolve("h"));
            assertEquals("h", Sh.ok("ls " + q(m.dir)).trim(), "readdir sees a rename");
            assertTrue(Files.exists(m.path("h")) && !Files.exists(m.path("g")));
        }
    }

    /** Reads through FileChannel.transferTo into a loopback socket (sendfile on the JDK's side). */
    private static String viaTransferTo(Path f) throws Exception {
        try (ServerSocketChannel server = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
             SocketChannel client = SocketChannel.open(server.getLocalAddress());
             SocketChannel peer = server.accept();
             FileChannel ch = FileChannel.open(f)) {
            long size = ch.size();
            long sent = 0;
            while (sent < size) sent += ch.transferTo(sent, size - sent, client);
            client.shutdownOutput();
            ByteBuffer buf = ByteBuffer.allocate((int) size + 1);
            while (peer.read(buf) >= 0 && buf.position() < size) { }
            return new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8);
        }
    }

}
