package io.strata.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.strata.core.OpenFlags;
import io.strata.core.Attr;
import io.strata.core.CacheMode;
import io.strata.core.Caller;
import io.strata.core.Created;
import io.strata.core.Entry;
import io.strata.core.FileSystem;
import io.strata.core.FsException;
import io.strata.core.Errno;
import io.strata.core.Name;
import io.strata.core.XattrName;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.function.Executable;

/** Shared fixtures: a file system with a controllable clock, callers, and small I/O helpers. */
abstract class FsTestSupport {
    static final long ROOT = FileSystem.ROOT;
    static final Caller ROOT_CALLER = Caller.ROOT;
    static final Caller ALICE = new Caller(1000, 1000, 100);
    static final Caller BOB = new Caller(1001, 1001, 101);
    /** Another user with supplementary groups 500 and 777 (primary group 1002). */
    static final Caller CAROL = Caller.of(1002, 1002, 500, 777);
    static final int RW = OpenFlags.O_RDWR, RO = OpenFlags.O_RDONLY, WO = OpenFlags.O_WRONLY;

    /** Starts at a fixed instant; tests advance it explicitly so time rules are deterministic. */
    final AtomicLong clock = new AtomicLong(1_700_000_000_000_000_000L);
    MemoryFileSystem fs = newFs(MemoryOptions.defaults(0, 0).withRoot(0, 0, 01777).withSizeLimit(1L << 30));

    MemoryFileSystem newFs(MemoryOptions options) {
        return new MemoryFileSystem(options.withMode(CacheMode.EXCLUSIVE), clock::get);
    }

    static Name n(String s) {
        return Name.of(s);
    }

    /** A name made of raw bytes (need not be UTF-8). */
    static Name raw(int... bytes) throws FsException {
        byte[] b = new byte[bytes.length];
        for (int i = 0; i < b.length; i++) b[i] = (byte) bytes[i];
        return Name.of(b);
    }

    static XattrName x(String s) {
        return XattrName.of(s);
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    long tick() {
        return clock.addAndGet(1_000);
    }

    static void assertErrno(int errno, Executable e) {
        assertErrno(errno, e, "");
    }

    static void assertErrno(int errno, Executable e, String why) {
        FsException ex = assertThrows(FsException.class, e, why);
        assertEquals(Errno.name(errno), Errno.name(ex.errno()), why);
    }

    Attr attr(long ino) throws FsException {
        return fs.getattr(ROOT_CALLER, ino, -1).attr();
    }

    /** Creates an empty file and releases its handle; returns its inode. */
    long touch(Caller c, long parent, String name) throws FsException {
        return touch(c, parent, n(name));
    }

    long touch(Caller c, long parent, Name name) throws FsException {
        Created cr = fs.create(c, parent, name, 0644, RW, 022);
        fs.release(cr.entry().ino(), cr.opened().fh(), 0);
        return cr.entry().ino();
    }

    long touch(long parent, String name) throws FsException {
        return touch(ROOT_CALLER, parent, name);
    }

    long mkdir(Caller c, long parent, String name) throws FsException {
        return fs.mkdir(c, parent, n(name), 0755, 022).ino();
    }

    long mkdir(long parent, String name) throws FsException {
        return mkdir(ROOT_CALLER, parent, name);
    }

    long lookupIno(long parent, String name) throws FsException {
        Entry e = fs.lookup(ROOT_CALLER, parent, n(name));
        return e.ino();
    }

    long open(long ino, int flags) throws FsException {
        return fs.open(ROOT_CALLER, ino, flags).fh();
    }

    int write(long ino, long fh, long off, byte[] data) throws FsException {
        return fs.write(ROOT_CALLER, ino, fh, off, ByteBuffer.wrap(data), 0);
    }

    int write(long ino, long fh, long off, String s) throws FsException {
        return write(ino, fh, off, s.getBytes(StandardCharsets.UTF_8));
    }

    byte[] read(long ino, long fh, long off, int len) throws FsException {
        ByteBuffer b = ByteBuffer.allocateDirect(len);
        int n = fs.read(ROOT_CALLER, ino, fh, off, b);
        assertEquals(n, b.position(), "read must advance the buffer by what it returns");
        byte[] out = new byte[n];
        b.flip().get(out);
        return out;
    }

    String readString(long ino, long fh, long off, int len) throws FsException {
        return new String(read(ino, fh, off, len), StandardCharsets.UTF_8);
    }

    /** A full listing, batch by batch, with a sink that takes at most {@code perCall} entries. */
    List<String> list(long dir, int perCall) throws FsException {
        return listNames(dir, perCall).stream().map(Name::toString).toList();
    }

    /** Like {@link #list(long, int)}, as the Names themselves (bytes, not text). */
    List<Name> listNames(long dir, int perCall) throws FsException {
        List<Name> out = new ArrayList<>();
        long[] cookie = {0};
        for (;;) {
            int[] taken = {0};
            fs.readdir(ROOT_CALLER, dir, 0, cookie[0], (name, ino, type, next) -> {
                if (taken[0] == perCall) return false;
                taken[0]++;
                out.add(name);
                cookie[0] = next;
                return true;
            });
            if (taken[0] < perCall) return out;
        }
    }

    List<String> list(long dir) throws FsException {
        return list(dir, Integer.MAX_VALUE);
    }
}
