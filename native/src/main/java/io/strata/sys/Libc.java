package io.strata.sys;

import io.strata.core.Errno;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * The basic POSIX calls Strata needs (descriptors, I/O, ioctl, poll, mount), each with errno
 * captured and turned into a {@link SysException} that names the call and the errno.
 *
 * <p>Buffers are passed as {@link MemorySegment}s that must be native (off-heap) segments; callers
 * own them. Paths are Java strings, encoded as UTF-8 into a short-lived confined arena.
 */
public final class Libc {
    private Libc() {}

    // open(2) flags (x86_64 / generic).
    public static final int O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_ACCMODE = 3, O_CREAT = 0100,
            O_EXCL = 0200, O_NOCTTY = 0400, O_TRUNC = 01000, O_APPEND = 02000, O_NONBLOCK = 04000,
            O_DSYNC = 010000, O_DIRECT = 040000, O_LARGEFILE = 0100000, O_DIRECTORY = 0200000,
            O_NOFOLLOW = 0400000, O_NOATIME = 01000000, O_CLOEXEC = 02000000, O_SYNC = 04010000,
            O_PATH = 010000000, O_TMPFILE = 020200000;

    // mount(2) flags and umount2 flags.
    public static final long MS_RDONLY = 1, MS_NOSUID = 2, MS_NODEV = 4, MS_NOEXEC = 8;
    public static final long MS_SYNCHRONOUS = 16, MS_DIRSYNC = 128, MS_NOSYMFOLLOW = 256, MS_NOATIME = 1024,
            MS_NODIRATIME = 2048, MS_RELATIME = 1L << 21, MS_STRICTATIME = 1L << 24, MS_LAZYTIME = 1L << 25;
    public static final int MNT_FORCE = 1, MNT_DETACH = 2;

    public static final short POLLIN = 1, POLLERR = 8, POLLHUP = 16, POLLNVAL = 32;

    private static final MethodHandle OPEN = Native.errnoCallVariadic("open",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), 2);
    private static final MethodHandle CLOSE = Native.errnoCall("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle READ = Native.errnoCall("read",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle WRITE = Native.errnoCall("write",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle PREAD = Native.errnoCall("pread",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle PWRITE = Native.errnoCall("pwrite",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle READV = Native.errnoCall("readv",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle WRITEV = Native.errnoCall("writev",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle IOCTL = Native.errnoCallVariadic("ioctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), 2);
    private static final MethodHandle POLL = Native.errnoCall("poll",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle MOUNT = Native.errnoCall("mount",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS));
    private static final MethodHandle UMOUNT2 = Native.errnoCall("umount2",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle FCNTL = Native.errnoCallVariadic("fcntl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG), 2);
    private static final MethodHandle SOCKETPAIR = Native.errnoCall("socketpair",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle RECVMSG = Native.errnoCall("recvmsg",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle GETUID = Native.plainCall("getuid", FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle GETGID = Native.plainCall("getgid", FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle GETEUID = Native.plainCall("geteuid", FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle GETPID = Native.plainCall("getpid", FunctionDescriptor.of(JAVA_INT));

    // Call names are constants and subjects are passed as they are: the message is built only if
    // someone reads it (SysException#getMessage), so a successful call allocates nothing.

    static int check(String call, int rc, MemorySegment st) throws SysException {
        if (rc == -1) throw new SysException(call, Native.errno(st));
        return rc;
    }

    static long check(String call, long rc, MemorySegment st) throws SysException {
        if (rc == -1) throw new SysException(call, Native.errno(st));
        return rc;
    }

    static int check(String call, Object subject, int rc, MemorySegment st) throws SysException {
        if (rc == -1) throw new SysException(call, subject, Native.errno(st));
        return rc;
    }

    static long check(String call, Object subject, long rc, MemorySegment st) throws SysException {
        if (rc == -1) throw new SysException(call, subject, Native.errno(st));
        return rc;
    }

    public static int open(String path, int flags, int mode) throws SysException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.state();
            return check("open", path, (int) OPEN.invokeExact(st, a.allocateFrom(path), flags, mode), st);
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public static void close(int fd) throws SysException {
        try {
            MemorySegment st = Native.state();
            check("close", (int) CLOSE.invokeExact(st, fd), st);
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** Closes and ignores errors: for cleanup paths where the descriptor is being abandoned anyway. */
    public static void closeQuietly(int fd) {
        if (fd < 0) return;
        try {
            close(fd);
        } catch (SysException ignored) {
            // nothing more can be done with this descriptor
        }
    }

    public static long read(int fd, MemorySegment buf, long len) throws SysException {
        try {
            MemorySegment st = Native.state();
            return check("read", (long) READ.invokeExact(st, fd, buf, len), st);
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public static long write(int fd, MemorySegment buf, long len) throws SysException {
        try {
            MemorySegment st = Native.state();
            return check("write", (long) WRITE.invokeExact(st, fd, buf, len), st);
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public static long pread(int fd, MemorySegment buf, long len, long off) throws SysException {
        try {
            MemorySegment st = Native.state();
            return check("pread", (long) PREAD.invokeExact(st, fd, buf, len, off), st);
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public static long pwrite(int fd, MemorySegment buf, long len, long off) throws SysException {
        try {
            MemorySegment st = Native.state();
            return check("pwrite", (long) PWRITE.invokeExact(st, fd, buf, len, off), st);
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** readv with an iovec array built by {@link IoVec}. */
    public static long readv(int fd, IoVec iov) throws SysException {
        try {
            MemorySegment st = Native.state();
            return check("readv", (long) READV.invokeExact(st, fd, iov.segment(), iov.count()), st);
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** writev with an iovec array built by {@link IoVec}. */
    public static long writev(int fd, IoVec iov) throws SysException {
        try {
            MemorySegment st = Native.state();
            return check("writev", (long) WRITEV.invokeExact(st, fd, iov.segment(), iov.count()), st);
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** ioctl with a pointer argument (may be {@link MemorySegment#NULL}). */
    public static int ioctl(int fd, long request, MemorySegment arg) throws SysException {
        try {
            MemorySegment st = Native.state();
            int rc = (int) IOCTL.invokeExact(st, fd, request, arg);
            if (rc == -1) throw new SysException("ioctl", "0x" + Long.toHexString(request), Native.errno(st));
            return rc;
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** Polls one descriptor; returns revents, or 0 on timeout. */
    public static short pollOne(int fd, short events, int timeoutMillis) throws SysException {
        try {
            Native.Scratch s = Native.scratch();
            MemorySegment pfd = s.struct1;
            pfd.set(JAVA_INT, 0, fd);
            pfd.set(java.lang.foreign.ValueLayout.JAVA_SHORT, 4, events);
            pfd.set(java.lang.foreign.ValueLayout.JAVA_SHORT, 6, (short) 0);
            MemorySegment st = s.state;
            int n = check("poll", (int) POLL.invokeExact(st, pfd, 1L, timeoutMillis), st);
            return n == 0 ? 0 : pfd.get(java.lang.foreign.ValueLayout.JAVA_SHORT, 6);
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public static void mount(String source, String target, String fstype, long flags, String data)
            throws SysException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.state();
            MemorySegment d = data == null ? MemorySegment.NULL : a.allocateFrom(data);
            check("mount", target, (int) MOUNT.invokeExact(st, a.allocateFrom(source), a.allocateFrom(target),
                    a.allocateFrom(fstype), flags, d), st);
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public static void umount2(String target, int flags) throws SysException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.state();
            check("umount2", target, (int) UMOUNT2.invokeExact(st, a.allocateFrom(target), flags), st);
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public static int fcntl(int fd, int cmd, long arg) throws SysException {
        try {
            MemorySegment st = Native.state();
            return check("fcntl", (int) FCNTL.invokeExact(st, fd, cmd, arg), st);
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public static final int AF_UNIX = 1, SOCK_STREAM = 1, SOCK_SEQPACKET = 5, SOCK_CLOEXEC = O_CLOEXEC;
    public static final int F_GETFD = 1, F_SETFD = 2, F_GETFL = 3, F_SETFL = 4, FD_CLOEXEC = 1;

    /** socketpair(AF_UNIX, type): returns the two descriptors. */
    public static int[] socketpair(int type) throws SysException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment fds = a.allocate(8, 4);
            MemorySegment st = Native.state();
            check("socketpair", (int) SOCKETPAIR.invokeExact(st, AF_UNIX, type, 0, fds), st);
            return new int[] {fds.get(JAVA_INT, 0), fds.get(JAVA_INT, 4)};
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * Receives one descriptor passed with SCM_RIGHTS over a unix socket (how fusermount3 hands back
     * /dev/fuse). Returns -1 if the peer closed without sending one.
     */
    public static int receiveFd(int sock) throws SysException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment data = a.allocate(8);
            MemorySegment iov = a.allocate(16, 8);
            iov.set(ADDRESS, 0, data);
            iov.set(JAVA_LONG, 8, 1);
            MemorySegment control = a.allocate(64, 8); // room for CMSG_SPACE(sizeof(int)) and more
            MemorySegment msg = a.allocate(56, 8); // struct msghdr on LP64
            msg.set(ADDRESS, 16, iov);
            msg.set(JAVA_LONG, 24, 1);
            msg.set(ADDRESS, 32, control);
            msg.set(JAVA_LONG, 40, control.byteSize());
            MemorySegment st = Native.state();
            long n;
            do {
                n = (long) RECVMSG.invokeExact(st, sock, msg, 0);
            } while (n == -1 && Native.errno(st) == Errno.EINTR);
            check("recvmsg", n, st);
            if (n == 0) return -1;
            long controllen = msg.get(JAVA_LONG, 40);
            if (controllen < 20) return -1;
            long cmsgLen = control.get(JAVA_LONG, 0);
            int level = control.get(JAVA_INT, 8), type = control.get(JAVA_INT, 12);
            if (level != 1 /* SOL_SOCKET */ || type != 1 /* SCM_RIGHTS */ || cmsgLen < 20) return -1;
            return control.get(JAVA_INT, 16);
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public static int getuid() {
        try {
            return (int) GETUID.invokeExact();
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public static int getgid() {
        try {
            return (int) GETGID.invokeExact();
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public static int geteuid() {
        try {
            return (int) GETEUID.invokeExact();
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public static int getpid() {
        try {
            return (int) GETPID.invokeExact();
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** _IOC encoding for ioctl request numbers (generic layout: x86_64, aarch64). */
    public static long ioc(int dir, int type, int nr, int size) {
        return ((long) dir << 30) | ((long) size << 16) | ((long) type << 8) | nr;
    }

    public static final int IOC_WRITE = 1, IOC_READ = 2;
}
