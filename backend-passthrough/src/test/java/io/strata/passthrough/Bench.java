package io.strata.passthrough;

import static io.strata.passthrough.Fixture.ROOT;
import static io.strata.passthrough.Fixture.n;

import io.strata.core.CacheMode;
import io.strata.core.Caller;
import io.strata.core.Name;
import io.strata.core.Entry;
import io.strata.core.FileSystem;
import io.strata.core.Opened;
import io.strata.passthrough.PassthroughOptions.Handles;
import io.strata.sys.Libc;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/** Rough per-operation costs; run with -Dstrata.bench=true. */
@EnabledIfSystemProperty(named = "strata.bench", matches = "true")
class Bench {
    @Test
    void costs() throws Exception {
        Caller user = Caller.of(1000, 1000, 4242);
        for (int round = 0; round < 2; round++) {
            for (Handles h : new Handles[] {Handles.NEVER, Handles.PREFER}) {
                try (Fixture f = new Fixture(PassthroughOptions.defaults().withMode(CacheMode.EXCLUSIVE).withHandles(h))) {
                    Files.write(f.src.resolve("f"), new byte[65536]);
                    Files.setPosixFilePermissions(f.src.resolve("f"), PosixFilePermissions.fromString("rw-rw-rw-"));
                    Entry e = f.fs.lookup(ROOT, FileSystem.ROOT, n("f"));
                    Name name = n("f");
                    int count = 100_000;
                    long t0 = System.nanoTime();
                    for (int i = 0; i < count; i++) f.fs.getattr(ROOT, e.ino(), 0);
                    long t1 = System.nanoTime();
                    for (int i = 0; i < count; i++) f.fs.forget(f.fs.lookup(ROOT, FileSystem.ROOT, name).ino(), 1);
                    long t2 = System.nanoTime();
                    for (int i = 0; i < count; i++) f.fs.forget(f.fs.lookup(user, FileSystem.ROOT, name).ino(), 1);
                    long t3 = System.nanoTime();
                    for (int i = 0; i < count; i++) f.fs.release(e.ino(), f.fs.open(ROOT, e.ino(), Libc.O_RDONLY).fh(), 0);
                    long t4 = System.nanoTime();
                    for (int i = 0; i < count; i++) f.fs.release(e.ino(), f.fs.open(user, e.ino(), Libc.O_RDONLY).fh(), 0);
                    long t5 = System.nanoTime();
                    Opened o = f.fs.open(ROOT, e.ino(), Libc.O_RDONLY);
                    ByteBuffer b = ByteBuffer.allocateDirect(4096);
                    for (int i = 0; i < count; i++) f.fs.read(ROOT, e.ino(), o.fh(), (i & 15) * 4096L, b.clear());
                    long t6 = System.nanoTime();
                    for (int i = 0; i < count / 10; i++) {
                        try {
                            f.fs.lookup(ROOT, FileSystem.ROOT, n("missing"));
                        } catch (io.strata.core.FsException expected) {
                            // the hot negative lookup: stackless all the way
                        }
                    }
                    long t7 = System.nanoTime();
                    System.out.printf("BENCH round %d %-6s getattr %5.2f us  lookup+forget root %5.2f us, user %5.2f us"
                                    + "  open+release root %5.2f us, user %5.2f us  read4k %5.2f us  ENOENT lookup %5.2f us%n",
                            round, h, (t1 - t0) / 1e3 / count, (t2 - t1) / 1e3 / count, (t3 - t2) / 1e3 / count,
                            (t4 - t3) / 1e3 / count, (t5 - t4) / 1e3 / count, (t6 - t5) / 1e3 / count,
                            (t7 - t6) / 1e3 / (count / 10));
                    f.fs.release(e.ino(), o.fh(), 0);
                }
            }
        }
    }
}
