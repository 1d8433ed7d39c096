package io.strata.ninep;

import static org.junit.jupiter.api.Assertions.*;

import io.strata.core.*;
import io.strata.memory.MemoryFileSystem;
import io.strata.memory.MemoryOptions;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * diod's own clients (diodls, diodcat) against the Strata server exporting a memory file system,
 * compared with the same clients against a real diod exporting an identical host directory.
 * Skipped where diod is not installed.
 */
@Timeout(60)
class DiodClientsTest {
    static final Path DIODLS = Path.of("/usr/sbin/diodls"), DIODCAT = Path.of("/usr/sbin/diodcat"),
            DIOD = Path.of("/usr/sbin/diod");
    static final long MTIME_S = 1_704_164_640L; // 2024-01-02 03:04 UTC
    static final byte[] BIG = new byte[300_000];

    static {
        for (int i = 0; i < BIG.length; i++) BIG[i] = (byte) (i * 31 + (i >> 9));
    }

    Path host;
    MemoryFileSystem mem;
    NinepServer server;
    Process diod;
    int diodPort;

    @BeforeEach
    void start() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(DIODLS) && Files.isExecutable(DIODCAT)
                && Files.isExecutable(DIOD), "diod and its clients are not installed");
        host = Files.createTempDirectory("ninep-diod");
        Files.setPosixFilePermissions(host, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path exp = host.resolve("export");
        Files.createDirectory(exp);
        Files.write(exp.resolve("a.txt"), Fixture.HELLO);
        Files.write(exp.resolve("big"), BIG);
        Files.createDirectory(exp.resolve("sub"));
        Files.write(exp.resolve("sub/s"), "s\n".getBytes());
        Files.createSymbolicLink(exp.resolve("link"), Path.of("a.txt"));
        for (String f : List.of("a.txt", "big", "sub/s")) {
            Files.setPosixFilePermissions(exp.resolve(f), PosixFilePermissions.fromString("rw-r--r--"));
            Files.setLastModifiedTime(exp.resolve(f), FileTime.from(MTIME_S, TimeUnit.SECONDS));
        }
        Files.setPosixFilePermissions(exp.resolve("sub"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(exp, PosixFilePermissions.fromString("rwxr-xr-x"));
        // the same tree in memory
        mem = new MemoryFileSystem(MemoryOptions.defaults(0, 0).withRoot(0, 0, 0755));
        file(FileSystem.ROOT, "a.txt", Fixture.HELLO);
        file(FileSystem.ROOT, "big", BIG);
        Entry sub = mem.mkdir(Caller.ROOT, FileSystem.ROOT, Name.of("sub"), 0755, 0);
        file(sub.ino(), "s", "s\n".getBytes());
        mem.forget(sub.ino(), 1);
        Entry link = mem.symlink(Caller.ROOT, FileSystem.ROOT, Name.of("link"), "a.txt".getBytes());
        mem.setattr(Caller.ROOT, link.ino(), SetAttr.times(MTIME_S * 1_000_000_000L, MTIME_S * 1_000_000_000L));
        mem.forget(link.ino(), 1);
        Files.setAttribute(exp.resolve("link"), "basic:lastModifiedTime", FileTime.from(MTIME_S, TimeUnit.SECONDS),
                java.nio.file.LinkOption.NOFOLLOW_LINKS);
        server = NinepServer.start(mem, new InetSocketAddress("127.0.0.1", 0), NinepServerOptions.defaults());
        try (ServerSocket s = new ServerSocket(0)) {
            diodPort = s.getLocalPort();
        }
        diod = new ProcessBuilder(DIOD.toString(), "-f", "-n", "-c", "/dev/null", "-l", "127.0.0.1:" + diodPort,
                "-e", exp.toString()).redirectErrorStream(true).redirectOutput(host.resolve("diod.log").toFile()).start();
        for (int i = 0; ; i++) {
            try (Socket s = new Socket("127.0.0.1", diodPort)) {
                break;
            } catch (IOException notYet) {
                if (i > 100 || !diod.isAlive()) throw new IllegalStateException("diod did not start: " + Files.readString(host.resolve("diod.log")));
                Thread.sleep(50);
            }
        }
    }

    private void file(long parent, String name, byte[] data) throws FsException {
        Created cr = mem.create(Caller.ROOT, parent, Name.of(name), 0644, OpenFlags.O_WRONLY, 0);
        mem.write(Caller.ROOT, cr.entry().ino(), cr.opened().fh(), 0, ByteBuffer.wrap(data), 0);
        mem.release(cr.entry().ino(), cr.opened().fh(), 0);
        mem.setattr(Caller.ROOT, cr.entry().ino(), SetAttr.times(MTIME_S * 1_000_000_000L, MTIME_S * 1_000_000_000L));
        mem.forget(cr.entry().ino(), 1);
    }

    @AfterEach
    void stop() throws Exception {
        if (diod != null) {
            diod.destroy();
            if (!diod.waitFor(5, TimeUnit.SECONDS)) diod.destroyForcibly();
        }
        if (server != null) server.close();
        if (mem != null) mem.close();
        if (host != null) try (Stream<Path> s = Files.walk(host)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    private String strata() {
        return "127.0.0.1:" + ((InetSocketAddress) server.address()).getPort();
    }

    private byte[] run(String... cmd) throws Exception {
        Path err = host.resolve("stderr");
        Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), () -> "exit status of " + String.join(" ", cmd) + ": " + read(err));
        return out;
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return e.toString();
        }
    }

    /**
     * diodls -l lines, sorted, without "..": for directories only type/mode, links and name (their
     * sizes and times are the backend's own); everything else whole.
     */
    private List<String> listing(String server, String aname) throws Exception {
        String out = new String(run(DIODLS.toString(), "-s", server, "-a", aname, "-l", "-t", "20"));
        List<String> lines = new ArrayList<>();
        for (String line : out.split("\n")) {
            if (line.isBlank()) continue;
            String[] f = line.trim().split("\\s+");
            String name = f[f.length - 1];
            if (name.equals("..")) continue;
            lines.add(f[0].startsWith("d") ? f[0] + " " + f[1] + " " + f[2] + " " + f[3] + " " + name : String.join(" ", f));
        }
        lines.sort(null);
        return lines;
    }

    @Test
    void diodlsSeesWhatItSeesOnDiod() throws Exception {
        List<String> ours = listing(strata(), "/");
        List<String> theirs = listing("127.0.0.1:" + diodPort, host.resolve("export").toString());
        assertEquals(theirs, ours);
        assertEquals(5, ours.size(), ours.toString()); // . a.txt big link sub
        // diod lets ".." of the export show its parent; ours shows the export root itself
        String raw = new String(run(DIODLS.toString(), "-s", strata(), "-a", "/", "-l", "-t", "20"));
        String dot = null, dotdot = null;
        for (String line : raw.split("\n")) {
            String t = line.trim();
            if (t.endsWith(" ..")) dotdot = t.substring(0, t.length() - 2).trim();
            else if (t.endsWith(" .")) dot = t.substring(0, t.length() - 1).trim();
        }
        assertNotNull(dotdot, raw);
        assertEquals(dot, dotdot, "'..' of the export root is the root");
        assertTrue(ours.stream().anyMatch(l -> l.endsWith(" 300000 Jan  2 03:04 big") || l.contains(" 300000 ")), ours.toString());
    }

    @Test
    void diodcatReadsTheSameBytes() throws Exception {
        for (String f : List.of("a.txt", "sub/s", "big")) {
            byte[] ours = run(DIODCAT.toString(), "-s", strata(), "-a", "/", "-t", "20", f);
            byte[] theirs = run(DIODCAT.toString(), "-s", "127.0.0.1:" + diodPort, "-a", host.resolve("export").toString(),
                    "-t", "20", f);
            assertArrayEquals(theirs, ours, f);
        }
        assertArrayEquals(BIG, run(DIODCAT.toString(), "-s", strata(), "-a", "/", "-t", "20", "big"));
        // small msize: many reads per file
        assertArrayEquals(BIG, run(DIODCAT.toString(), "-s", strata(), "-a", "/", "-m", "4096", "-t", "20", "big"));
    }
}
