package io.strata.sys;

import io.strata.core.Errno;
import io.strata.core.FsException;
import io.strata.core.Name;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;

/**
 * inotify(7): one instance descriptor plus a native read buffer. Events come back as Java records.
 *
 * <p>Threads: {@link #addWatch} and {@link #rmWatch} may be called from any thread; {@link #read}
 * from one reader thread at a time (it owns the buffer). {@link #close} only after the reader stopped.
 */
public final class Inotify implements AutoCloseable {
    public static final int IN_ACCESS = 0x1, IN_MODIFY = 0x2, IN_ATTRIB = 0x4, IN_CLOSE_WRITE = 0x8,
            IN_CLOSE_NOWRITE = 0x10, IN_OPEN = 0x20, IN_MOVED_FROM = 0x40, IN_MOVED_TO = 0x80, IN_CREATE = 0x100,
            IN_DELETE = 0x200, IN_DELETE_SELF = 0x400, IN_MOVE_SELF = 0x800, IN_UNMOUNT = 0x2000,
            IN_Q_OVERFLOW = 0x4000, IN_IGNORED = 0x8000, IN_ONLYDIR = 0x1000000, IN_DONT_FOLLOW = 0x2000000,
            IN_EXCL_UNLINK = 0x4000000, IN_MASK_CREATE = 0x10000000, IN_MASK_ADD = 0x20000000,
            IN_ISDIR = 0x40000000;
    public static final int IN_NONBLOCK = Libc.O_NONBLOCK, IN_CLOEXEC = Libc.O_CLOEXEC;

    private static final MethodHandle INIT1 = Native.errnoCall("inotify_init1",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle ADD_WATCH = Native.errnoCall("inotify_add_watch",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle RM_WATCH = Native.errnoCall("inotify_rm_watch",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle READ = Native.errnoCall("read",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));

    /**
     * One event: watch descriptor, mask, rename cookie and the child name as the bytes the kernel
     * reported (null for an event on the watched object itself).
     */
    public record Event(int wd, int mask, int cookie, Name name) {
        public boolean has(int bit) {
            return (mask & bit) != 0;
        }
    }

    private final int fd;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment buf;
    private final byte[] nameBytes = new byte[256];

    private Inotify(int fd) {
        this.fd = fd;
        // Room for many events; one event is at most 16 + NAME_MAX + 1 bytes.
        this.buf = arena.allocate(64 * 1024, 8);
    }

    /** inotify_init1(flags), e.g. IN_NONBLOCK | IN_CLOEXEC. */
    public static Inotify open(int flags) throws SysException {
        try {
            MemorySegment st = Native.state();
            return new Inotify(Libc.check("inotify_init1", (int) INIT1.invokeExact(st, flags), st));
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public int fd() {
        return fd;
    }

    /** inotify_add_watch; ENOSPC when the per-user watch limit is reached. */
    public int addWatch(String path, int mask) throws SysException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.state();
            return Libc.check("inotify_add_watch", path, (int) ADD_WATCH.invokeExact(st, fd, a.allocateFrom(path), mask),
                    st);
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * Watches the inode {@code objectFd} refers to (O_PATH included) through its "/proc/self/fd/N"
     * magic link: exactly that inode, whatever was renamed meanwhile.
     */
    public int addWatchFd(int objectFd, int mask) throws SysException {
        try {
            Native.Scratch s = Native.scratch();
            MemorySegment p = s.procFd(s.path1, objectFd);
            return Libc.check("inotify_add_watch", objectFd, (int) ADD_WATCH.invokeExact(s.state, fd, p, mask), s.state);
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public void rmWatch(int wd) throws SysException {
        try {
            MemorySegment st = Native.state();
            Libc.check("inotify_rm_watch", (int) RM_WATCH.invokeExact(st, fd, wd), st);
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * Reads what is queued. With IN_NONBLOCK returns an empty list when nothing is (EAGAIN);
     * otherwise blocks until at least one event arrives.
     */
    public List<Event> read() throws SysException {
        long n;
        try {
            MemorySegment st = Native.state();
            n = (long) READ.invokeExact(st, fd, buf, buf.byteSize());
            if (n == -1 && (Native.errno(st) == Errno.EAGAIN || Native.errno(st) == Errno.EINTR)) return List.of();
            Libc.check("read inotify", n, st);
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        return parse(buf, n, nameBytes);
    }

    static List<Event> parse(MemorySegment b, long n, byte[] scratch) {
        List<Event> out = new ArrayList<>();
        for (long p = 0; p + 16 <= n; ) {
            int wd = b.get(JAVA_INT, p), mask = b.get(JAVA_INT, p + 4), cookie = b.get(JAVA_INT, p + 8);
            int len = b.get(JAVA_INT, p + 12);
            Name name = null;
            if (len > 0) { // NUL-padded to len
                int k = 0, max = Math.min(len, scratch.length);
                while (k < max && b.get(JAVA_BYTE, p + 16 + k) != 0) k++;
                MemorySegment.copy(b, JAVA_BYTE, p + 16, scratch, 0, k);
                try {
                    name = Name.of(scratch, 0, k);
                } catch (FsException impossible) {
                    name = null; // the kernel reports single components only
                }
            }
            out.add(new Event(wd, mask, cookie, name));
            p += 16 + len;
        }
        return out;
    }

    /** Waits up to {@code timeoutMillis} for events; true if some are ready. */
    public boolean await(int timeoutMillis) throws SysException {
        return (Libc.pollOne(fd, Libc.POLLIN, timeoutMillis) & Libc.POLLIN) != 0;
    }

    @Override
    public void close() {
        Libc.closeQuietly(fd);
        arena.close();
    }
}
