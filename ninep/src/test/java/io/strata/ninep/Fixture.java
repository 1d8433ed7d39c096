package io.strata.ninep;

import io.strata.core.*;
import io.strata.memory.MemoryFileSystem;
import io.strata.memory.MemoryOptions;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** A memory file system with a few files, served on a loopback port. */
final class Fixture implements AutoCloseable {
    final MemoryFileSystem mem = new MemoryFileSystem(MemoryOptions.defaults(0, 0).withSizeLimit(64L << 20));
    final CountingFs fs = new CountingFs(mem);
    final Path dir;
    final NinepServer server;

    static final byte[] HELLO = "hello, world\n".getBytes(StandardCharsets.UTF_8);

    Fixture() throws Exception {
        this(o -> o);
    }

    Fixture(java.util.function.UnaryOperator<NinepServerOptions> tune) throws Exception {
        dir = Files.createTempDirectory("ninep-test");
        Files.writeString(dir.resolve("passwd"), "root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n"
                + "bob:x:1001:1001::/home/bob:/bin/sh\n");
        Files.writeString(dir.resolve("group"), "root:x:0:\nalice:x:1000:\nbob:x:1001:\nstaff:x:50:alice\n");
        Caller root = Caller.ROOT;
        mem.setattr(root, FileSystem.ROOT, SetAttr.mode(0777));
        file(root, FileSystem.ROOT, "a.txt", 0644, HELLO);
        Entry sub = mem.mkdir(root, FileSystem.ROOT, Name.of("sub"), 0755, 0);
        file(root, sub.ino(), "s", 0644, "s\n".getBytes());
        mem.forget(sub.ino(), 1);
        Entry link = mem.symlink(root, FileSystem.ROOT, Name.of("link"), "a.txt".getBytes());
        mem.forget(link.ino(), 1);
        file(root, FileSystem.ROOT, "secret", 0600, "root only\n".getBytes());
        Entry staffDir = mem.mkdir(root, FileSystem.ROOT, Name.of("staff"), 0770, 0);
        mem.setattr(root, staffDir.ino(), SetAttr.owner(0, 50));
        mem.forget(staffDir.ino(), 1);
        NinepServerOptions o = tune.apply(NinepServerOptions.defaults()
                .withIdentities(new Identities(dir.resolve("passwd"), dir.resolve("group"), 65534)));
        server = NinepServer.start(fs, new InetSocketAddress("127.0.0.1", 0), o);
    }

    void file(Caller c, long parent, String name, int mode, byte[] data) throws FsException {
        Created cr = mem.create(c, parent, Name.of(name), mode, OpenFlags.O_WRONLY, 0);
        mem.write(c, cr.entry().ino(), cr.opened().fh(), 0, ByteBuffer.wrap(data), 0);
        mem.release(cr.entry().ino(), cr.opened().fh(), 0);
        mem.forget(cr.entry().ino(), 1);
    }

    long ino(String path) throws FsException {
        long at = FileSystem.ROOT;
        for (Name n : RawClient.path(path)) {
            Entry e = mem.lookup(Caller.ROOT, at, n);
            mem.forget(e.ino(), 1);
            at = e.ino();
        }
        return at;
    }

    RawClient client(int uid) throws IOException {
        return new RawClient(server.address()).hello(uid);
    }

    @Override
    public void close() throws IOException {
        server.close();
        mem.close();
        try (var s = Files.list(dir)) {
            for (Path p : s.toList()) Files.delete(p);
        }
        Files.delete(dir);
    }
}
