package io.strata.sys;

import io.strata.core.Errno;
import io.strata.core.FsException;
import io.strata.core.Name;
import io.strata.core.XattrName;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Descriptor-relative file calls (the *at family, statx, openat2, file handles, xattrs, getdents64,
 * ...) for servers that must resolve every name relative to a held descriptor instead of a path, so
 * that a concurrent rename or symlink swap cannot redirect them.
 *
 * <p>Like {@link Libc}, every failing call throws a {@link SysException} naming the call and errno
 * (the message is built only when read). Names and paths are bytes, never decoded: a core
 * {@link Name} (already validated) or a {@code byte[]} path (checked here: a NUL gives EINVAL, a
 * path of PATH_MAX bytes or more ENAMETOOLONG). They are copied into per-thread native scratch
 * memory, so a successful call allocates no native memory and builds no string. Results are plain
 * Java records, so no caller outside this package ever sees a native address.
 */
public final class PosixFiles {
    private PosixFiles() {}

    // *at flags
    public static final int AT_FDCWD = -100, AT_SYMLINK_NOFOLLOW = 0x100, AT_REMOVEDIR = 0x200,
            AT_SYMLINK_FOLLOW = 0x400, AT_NO_AUTOMOUNT = 0x800, AT_EMPTY_PATH = 0x1000;
    // statx mask bits
    public static final int STATX_BASIC_STATS = 0x7ff, STATX_BTIME = 0x800, STATX_MNT_ID = 0x1000;
    // openat2 resolve flags
    public static final long RESOLVE_NO_XDEV = 1, RESOLVE_NO_MAGICLINKS = 2, RESOLVE_NO_SYMLINKS = 4,
            RESOLVE_BENEATH = 8, RESOLVE_IN_ROOT = 0x10, RESOLVE_CACHED = 0x20;
    // renameat2 flags
    public static final int RENAME_NOREPLACE = 1, RENAME_EXCHANGE = 2, RENAME_WHITEOUT = 4;
    // xattr flags
    public static final int XATTR_CREATE = 1, XATTR_REPLACE = 2;
    // lseek whence
    public static final int SEEK_SET = 0, SEEK_CUR = 1, SEEK_END = 2, SEEK_DATA = 3, SEEK_HOLE = 4;
    // utimensat special nanosecond values
    public static final long UTIME_NOW = (1L << 30) - 1, UTIME_OMIT = (1L << 30) - 2;
    /** Largest file handle the kernel produces (MAX_HANDLE_SZ). */
    public static final int MAX_HANDLE_SZ = 128;

    private static final long SYS_OPENAT2 = 437; // same number on every architecture (>= 424 are unified)
    private static final long SYS_FACCESSAT2 = 439;
    /** faccessat flag: check with the effective (here: per-thread) ids instead of the real ones. */
    public static final int AT_EACCESS = 0x200;
    /** The empty path: with AT_EMPTY_PATH the call acts on the descriptor's own object. */
    public static final byte[] EMPTY_PATH = new byte[0];

    private static final MethodHandle OPENAT = Native.errnoCallVariadic("openat",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), 3);
    private static final MethodHandle SYSCALL4 = Native.errnoCallVariadic("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG), 1);
    private static final MethodHandle SYSCALL_FACCESSAT2 = Native.errnoCallVariadic("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG, JAVA_LONG), 1);
    private static final MethodHandle STATX = Native.errnoCall("statx",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle FCHMODAT = Native.errnoCall("fchmodat",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
    private static final MethodHandle FCHMOD = Native.errnoCall("fchmod",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle FCHOWNAT = Native.errnoCall("fchownat",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle UTIMENSAT = Native.errnoCall("utimensat",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
    private static final MethodHandle FTRUNCATE = Native.errnoCall("ftruncate",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG));
    private static final MethodHandle FALLOCATE = Native.errnoCall("fallocate",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle LSEEK = Native.errnoCall("lseek",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT));
    private static final MethodHandle FSYNC = Native.errnoCall("fsync", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle FDATASYNC = Native.errnoCall("fdatasync",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle MKDIRAT = Native.errnoCall("mkdirat",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle MKNODAT = Native.errnoCall("mknodat",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG));
    private static final MethodHandle SYMLINKAT = Native.errnoCall("symlinkat",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS));
    private static final MethodHandle READLINKAT = Native.errnoCall("readlinkat",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG));
    private static final MethodHandle LINKAT = Native.errnoCall("linkat",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle UNLINKAT = Native.errnoCall("unlinkat",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle RENAMEAT2 = Native.errnoCall("renameat2",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle GETDENTS64 = Native.errnoCall("getdents64",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle FSTATFS = Native.errnoCall("fstatfs",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle GETXATTR = Native.errnoCall("getxattr",
            FunctionDescriptor.of(JAVA_LONG, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG));
    private static final MethodHandle FGETXATTR = Native.errnoCall("fgetxattr",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG));
    private static final MethodHandle SETXATTR = Native.errnoCall("setxattr",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle FSETXATTR = Native.errnoCall("fsetxattr",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle LISTXATTR = Native.errnoCall("listxattr",
            FunctionDescriptor.of(JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG));
    private static final MethodHandle FLISTXATTR = Native.errnoCall("flistxattr",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle REMOVEXATTR = Native.errnoCall("removexattr",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle FREMOVEXATTR = Native.errnoCall("fremovexattr",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle COPY_FILE_RANGE = Native.errnoCall("copy_file_range",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle NAME_TO_HANDLE_AT = Native.errnoCall("name_to_handle_at",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT));
    private static final MethodHandle OPEN_BY_HANDLE_AT = Native.errnoCall("open_by_handle_at",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle DUP = Native.errnoCall("dup", FunctionDescriptor.of(JAVA_INT, JAVA_INT));

    // ---------------------------------------------------------------- records

    /**
     * statx(2) result. {@code dev} and {@code rdev} use glibc's dev_t encoding ({@link #makedev});
     * times are nanoseconds since the epoch; {@code mntId} is the mount id (STATX_MNT_ID, the same
     * number name_to_handle_at reports), 0 if the kernel did not fill it ({@code mask} says).
     */
    public record Stat(long dev, long ino, int mode, int nlink, int uid, int gid, long rdev, long size,
                       long blocks, int blksize, long atimeNs, long mtimeNs, long ctimeNs, long btimeNs,
                       long mntId, int mask) {
        public int type() {
            return mode & 0170000;
        }

        public boolean isDir() {
            return type() == 0040000;
        }

        public boolean isRegular() {
            return type() == 0100000;
        }

        public boolean isSymlink() {
            return type() == 0120000;
        }
    }

    /** One getdents64 record: d_ino, d_off (the cookie that resumes after it), d_type, d_name as bytes. */
    public record Dirent(long ino, long off, int type, Name name) {}

    /** fstatfs(2) result (all fields as the kernel reports them; block counts in {@code frsize} units). */
    public record FsStat(long type, long bsize, long blocks, long bfree, long bavail, long files, long ffree,
                         long namelen, long frsize, long flags) {}

    /**
     * An opaque file handle from name_to_handle_at: handle type, handle bytes and the mount id the
     * handle belongs to. Equality is by value (the byte content), so it can key a map.
     */
    public record FileHandle(int type, byte[] bytes, int mountId) {
        public FileHandle {
            bytes = bytes.clone();
        }

        @Override
        public byte[] bytes() {
            return bytes.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof FileHandle h && h.type == type && h.mountId == mountId
                    && Arrays.equals(h.bytes, bytes);
        }

        @Override
        public int hashCode() {
            return (Arrays.hashCode(bytes) * 31 + type) * 31 + mountId;
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder("FileHandle[type=").append(type).append(", mnt=").append(mountId)
                    .append(", ");
            for (byte b : bytes) sb.append(String.format("%02x", b & 0xff));
            return sb.append(']').toString();
        }
    }

    // ---------------------------------------------------------------- dev_t helpers (glibc encoding)

    public static int major(long dev) {
        return (int) (((dev >>> 32) & 0xfffff000L) | ((dev >>> 8) & 0xfffL));
    }

    public static int minor(long dev) {
        return (int) (((dev >>> 12) & 0xffffff00L) | (dev & 0xffL));
    }

    public static long makedev(int major, int minor) {
        long ma = major & 0xffffffffL, mi = minor & 0xffffffffL;
        return ((ma & 0xfffff000L) << 32) | ((ma & 0xfffL) << 8) | ((mi & 0xffffff00L) << 12) | (mi & 0xffL);
    }

    // ---------------------------------------------------------------- plumbing

    private static SysException fail(String call, Object subject, MemorySegment st) {
        return new SysException(call, subject, Native.errno(st));
    }

    // ---------------------------------------------------------------- opening

    public static int openat(int dirfd, byte[] path, int flags, int mode) throws SysException {
        Native.Scratch s = Native.scratch();
        return openat0(s, dirfd, s.cstr(s.path1, path, "openat"), flags, mode, path);
    }

    public static int openat(int dirfd, Name name, int flags, int mode) throws SysException {
        Native.Scratch s = Native.scratch();
        return openat0(s, dirfd, s.cstr(s.path1, name), flags, mode, name);
    }

    private static int openat0(Native.Scratch s, int dirfd, MemorySegment p, int flags, int mode, Object subject)
            throws SysException {
        try {
            int rc = (int) OPENAT.invokeExact(s.state, dirfd, p, flags, mode);
            if (rc == -1) throw fail("openat", subject, s.state);
            return rc;
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * openat2(2) through syscall(437): {@code resolve} restricts the walk (RESOLVE_BENEATH,
     * RESOLVE_IN_ROOT, RESOLVE_NO_MAGICLINKS, ...). ENOSYS on kernels before 5.6.
     */
    public static int openat2(int dirfd, byte[] path, long flags, long mode, long resolve) throws SysException {
        Native.Scratch s = Native.scratch();
        return openat2_0(s, dirfd, s.cstr(s.path1, path, "openat2"), flags, mode, resolve, path);
    }

    public static int openat2(int dirfd, Name name, long flags, long mode, long resolve) throws SysException {
        Native.Scratch s = Native.scratch();
        return openat2_0(s, dirfd, s.cstr(s.path1, name), flags, mode, resolve, name);
    }

    private static int openat2_0(Native.Scratch s, int dirfd, MemorySegment p, long flags, long mode, long resolve,
                                 Object subject) throws SysException {
        try {
            MemorySegment how = s.struct1;
            how.set(JAVA_LONG, 0, flags);
            how.set(JAVA_LONG, 8, mode);
            how.set(JAVA_LONG, 16, resolve);
            long rc = (long) SYSCALL4.invokeExact(s.state, SYS_OPENAT2, (long) dirfd, p, how, 24L);
            if (rc == -1) throw fail("openat2", subject, s.state);
            return (int) rc;
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public static int dup(int fd) throws SysException {
        try {
            MemorySegment st = Native.state();
            return Libc.check("dup", (int) DUP.invokeExact(st, fd), st);
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    // ---------------------------------------------------------------- attributes

    /** statx(dirfd, path, flags, mask); use {@link #EMPTY_PATH} with AT_EMPTY_PATH for the descriptor itself. */
    public static Stat statx(int dirfd, byte[] path, int flags, int mask) throws SysException {
        Native.Scratch s = Native.scratch();
        return statx0(s, dirfd, s.cstr(s.path1, path, "statx"), flags, mask, path);
    }

    public static Stat statx(int dirfd, Name name, int flags, int mask) throws SysException {
        Native.Scratch s = Native.scratch();
        return statx0(s, dirfd, s.cstr(s.path1, name), flags, mask, name);
    }

    private static Stat statx0(Native.Scratch s, int dirfd, MemorySegment p, int flags, int mask, Object subject)
            throws SysException {
        try {
            MemorySegment buf = s.struct0;
            int rc = (int) STATX.invokeExact(s.state, dirfd, p, flags, mask, buf);
            if (rc == -1) throw fail("statx", subject, s.state);
            return parseStatx(buf);
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** Attributes of the object {@code fd} refers to (works on O_PATH descriptors, never follows). */
    public static Stat fstat(int fd) throws SysException {
        return statx(fd, EMPTY_PATH, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS | STATX_MNT_ID);
    }

    private static Stat parseStatx(MemorySegment b) {
        int mask = b.get(JAVA_INT, 0);
        int blksize = b.get(JAVA_INT, 4);
        int nlink = b.get(JAVA_INT, 16), uid = b.get(JAVA_INT, 20), gid = b.get(JAVA_INT, 24);
        int mode = b.get(JAVA_SHORT, 28) & 0xffff;
        long ino = b.get(JAVA_LONG, 32), size = b.get(JAVA_LONG, 40), blocks = b.get(JAVA_LONG, 48);
        long atime = ts(b, 64), btime = ts(b, 80), ctime = ts(b, 96), mtime = ts(b, 112);
        long rdev = makedev(b.get(JAVA_INT, 128), b.get(JAVA_INT, 132));
        long dev = makedev(b.get(JAVA_INT, 136), b.get(JAVA_INT, 140));
        long mnt = (mask & STATX_MNT_ID) != 0 ? b.get(JAVA_LONG, 144) : 0;
        return new Stat(dev, ino, mode, nlink, uid, gid, rdev, size, blocks, blksize, atime, mtime, ctime, btime, mnt,
                mask);
    }

    private static long ts(MemorySegment b, long off) {
        return b.get(JAVA_LONG, off) * 1_000_000_000L + (b.get(JAVA_INT, off + 8) & 0xffffffffL);
    }

    public static void fchmodat(int dirfd, byte[] path, int mode, int flags) throws SysException {
        Native.Scratch s = Native.scratch();
        MemorySegment p = s.cstr(s.path1, path, "fchmodat");
        try {
            int rc = (int) FCHMODAT.invokeExact(s.state, dirfd, p, mode, flags);
            if (rc == -1) throw fail("fchmodat", path, s.state);
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public static void fchmod(int fd, int mode) throws SysException {
        try {
            MemorySegment st = Native.state();
            Libc.check("fchmod", (int) FCHMOD.invokeExact(st, fd, mode), st);
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** fchownat; -1 leaves uid or gid unchanged. */
    public static void fchownat(int dirfd, byte[] path, int uid, int gid, int flags) throws SysException {
        Native.Scratch s = Native.scratch();
        MemorySegment p = s.cstr(s.path1, path, "fchownat");
        try {
            int rc = (int) FCHOWNAT.invokeExact(s.state, dirfd, p, uid, gid, flags);
            if (rc == -1) throw fail("fchownat", path, s.state);
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * utimensat with times in nanoseconds since the epoch, or {@link #UTIME_NOW} / {@link #UTIME_OMIT}
     * (passed through as the tv_nsec sentinel).
     */
    public static void utimensat(int dirfd, byte[] path, long atimeNs, long mtimeNs, int flags) throws SysException {
        Native.Scratch s = Native.scratch();
        MemorySegment p = s.cstr(s.path1, path, "utimensat");
        try {
            MemorySegment times = s.struct1;
            putTime(times, 0, atimeNs);
            putTime(times, 16, mtimeNs);
            int rc = (int) UTIMENSAT.invokeExact(s.state, dirfd, p, times, flags);
            if (rc == -1) throw fail("utimensat", path, s.state);
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    private static void putTime(MemorySegment times, long off, long ns) {
        if (ns == UTIME_NOW || ns == UTIME_OMIT) {
            times.set(JAVA_LONG, off, 0);
            times.set(JAVA_LONG, off + 8, ns);
        } else {
            times.set(JAVA_LONG, off, Math.floorDiv(ns, 1_000_000_000L));
            times.set(JAVA_LONG, off + 8, Math.floorMod(ns, 1_000_000_000L));
        }
    }

    /**
     * faccessat2(2) (mask R 4, W 2, X 1, or 0 for existence). With {@link #AT_EACCESS} the check uses
     * the calling thread's effective ids and groups (see {@link ThreadCredentials}), not the real
     * ones; with AT_EMPTY_PATH and {@link #EMPTY_PATH} it checks the descriptor's own object.
     */
    public static void faccessat(int dirfd, byte[] path, int mask, int flags) throws SysException {
        Native.Scratch s = Native.scratch();
        MemorySegment p = s.cstr(s.path1, path, "faccessat2");
        try {
            long rc = (long) SYSCALL_FACCESSAT2.invokeExact(s.state, SYS_FACCESSAT2, (long) dirfd, p, (long) mask,
                    (long) flags);
            if (rc == -1) throw fail("faccessat2", path, s.state);
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    // ---------------------------------------------------------------- data

    public static void ftruncate(int fd, long length) throws SysException {
        try {
            MemorySegment st = Native.state();
            Libc.check("ftruncate", (int) FTRUNCATE.invokeExact(st, fd, length), st);
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public static void fallocate(int fd, int mode, long offset, long length) throws SysException {
        try {
            MemorySegment st = Native.state();
            Libc.check("fallocate", (int) FALLOCATE.invokeExact(st, fd, mode, offset, length), st);
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public static long lseek(int fd, long offset, int whence) throws SysException {
        try {
            MemorySegment st = Native.state();
            return Libc.check("lseek", (long) LSEEK.invokeExact(st, fd, offset, whence), st);
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public static void fsync(int fd, boolean dataOnly) throws SysException {
        try {
            MemorySegment st = Native.state();
            int rc = dataOnly ? (int) FDATASYNC.invokeExact(st, fd) : (int) FSYNC.invokeExact(st, fd);
            Libc.check(dataOnly ? "fdatasync" : "fsync", rc, st);
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * pread into {@code dst} from its position to its limit; advances the position by the bytes read.
     * Direct buffers are read into in place; heap buffers go through a temporary native copy.
     */
    public static int pread(int fd, ByteBuffer dst, long offset) throws SysException {
        int len = dst.remaining();
        if (len == 0) return 0;
        int n;
        if (dst.isDirect()) {
            n = (int) Libc.pread(fd, MemorySegment.ofBuffer(dst), len, offset);
        } else if (len <= Native.PATH_MAX) {
            MemorySegment tmp = Native.scratch().result;
            n = (int) Libc.pread(fd, tmp, len, offset);
            MemorySegment.copy(tmp, 0, MemorySegment.ofBuffer(dst), 0, n);
        } else {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment tmp = a.allocate(len);
                n = (int) Libc.pread(fd, tmp, len, offset);
                MemorySegment.copy(tmp, 0, MemorySegment.ofBuffer(dst), 0, n);
            }
        }
        dst.position(dst.position() + n);
        return n;
    }

    /** pwrite from {@code src} (position to limit); advances the position by the bytes written. */
    public static int pwrite(int fd, ByteBuffer src, long offset) throws SysException {
        int len = src.remaining();
        if (len == 0) return 0;
        int n;
        if (src.isDirect()) {
            n = (int) Libc.pwrite(fd, MemorySegment.ofBuffer(src), len, offset);
        } else if (len <= Native.PATH_MAX) {
            MemorySegment tmp = Native.scratch().result;
            MemorySegment.copy(MemorySegment.ofBuffer(src), 0, tmp, 0, len);
            n = (int) Libc.pwrite(fd, tmp, len, offset);
        } else {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment tmp = a.allocate(len);
                MemorySegment.copy(MemorySegment.ofBuffer(src), 0, tmp, 0, len);
                n = (int) Libc.pwrite(fd, tmp, len, offset);
            }
        }
        src.position(src.position() + n);
        return n;
    }

    /** copy_file_range with explicit offsets (the descriptors' positions are not used or changed). */
    public static long copyFileRange(int fdIn, long offIn, int fdOut, long offOut, long len, int flags)
            throws SysException {
        try {
            Native.Scratch s = Native.scratch();
            MemorySegment in = s.struct1.asSlice(0, 8), out = s.struct1.asSlice(8, 8);
            in.set(JAVA_LONG, 0, offIn);
            out.set(JAVA_LONG, 0, offOut);
            return Libc.check("copy_file_range",
                    (long) COPY_FILE_RANGE.invokeExact(s.state, fdIn, in, fdOut, out, len, flags), s.state);
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    // ---------------------------------------------------------------- names

    public static void mkdirat(int dirfd, byte[] name, int mode) throws SysException {
        Native.Scratch s = Native.scratch();
        mkdirat0(s, dirfd, s.cstr(s.path1, name, "mkdirat"), mode, name);
    }

    public static void mkdirat(int dirfd, Name name, int mode) throws SysException {
        Native.Scratch s = Native.scratch();
        mkdirat0(s, dirfd, s.cstr(s.path1, name), mode, name);
    }

    private static void mkdirat0(Native.Scratch s, int dirfd, MemorySegment p, int mode, Object subject)
            throws SysException {
        try {
            if ((int) MKDIRAT.invokeExact(s.state, dirfd, p, mode) == -1) throw fail("mkdirat", subject, s.state);
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** mknodat; {@code dev} in glibc dev_t encoding ({@link #makedev}). */
    public static void mknodat(int dirfd, byte[] name, int mode, long dev) throws SysException {
        Native.Scratch s = Native.scratch();
        mknodat0(s, dirfd, s.cstr(s.path1, name, "mknodat"), mode, dev, name);
    }

    public static void mknodat(int dirfd, Name name, int mode, long dev) throws SysException {
        Native.Scratch s = Native.scratch();
        mknodat0(s, dirfd, s.cstr(s.path1, name), mode, dev, name);
    }

    private static void mknodat0(Native.Scratch s, int dirfd, MemorySegment p, int mode, long dev, Object subject)
            throws SysException {
        try {
            if ((int) MKNODAT.invokeExact(s.state, dirfd, p, mode, dev) == -1) throw fail("mknodat", subject, s.state);
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** symlinkat with the link text as bytes (not decoded, not validated beyond NUL and PATH_MAX). */
    public static void symlinkat(byte[] target, int dirfd, byte[] name) throws SysException {
        Native.Scratch s = Native.scratch();
        MemorySegment t = s.cstr(s.path2, target, "symlinkat");
        symlinkat0(s, t, dirfd, s.cstr(s.path1, name, "symlinkat"), name);
    }

    public static void symlinkat(byte[] target, int dirfd, Name name) throws SysException {
        Native.Scratch s = Native.scratch();
        MemorySegment t = s.cstr(s.path2, target, "symlinkat");
        symlinkat0(s, t, dirfd, s.cstr(s.path1, name), name);
    }

    private static void symlinkat0(Native.Scratch s, MemorySegment target, int dirfd, MemorySegment p, Object subject)
            throws SysException {
        try {
            if ((int) SYMLINKAT.invokeExact(s.state, target, dirfd, p) == -1) throw fail("symlinkat", subject, s.state);
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** The link text as bytes; {@link #EMPTY_PATH} reads the symlink an O_PATH descriptor refers to. */
    public static byte[] readlinkat(int dirfd, byte[] path) throws SysException {
        Native.Scratch s = Native.scratch();
        MemorySegment p = s.cstr(s.path1, path, "readlinkat");
        try {
            MemorySegment buf = s.result;
            long n = (long) READLINKAT.invokeExact(s.state, dirfd, p, buf, buf.byteSize());
            if (n == -1) throw fail("readlinkat", path, s.state);
            if (n < buf.byteSize()) return buf.asSlice(0, n).toArray(JAVA_BYTE);
            // Longer than PATH_MAX - 1: not made by Linux, but some file systems store such links.
            try (Arena a = Arena.ofConfined()) {
                for (long size = 4L * buf.byteSize(); ; size *= 4) {
                    MemorySegment big = a.allocate(size);
                    n = (long) READLINKAT.invokeExact(s.state, dirfd, p, big, size);
                    if (n == -1) throw fail("readlinkat", path, s.state);
                    if (n < size) return big.asSlice(0, n).toArray(JAVA_BYTE);
                    if (size > 1 << 20) throw new SysException("readlinkat", path, Errno.ENAMETOOLONG);
                }
            }
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** linkat; with AT_EMPTY_PATH and {@link #EMPTY_PATH} links the file {@code olddirfd} refers to. */
    public static void linkat(int olddirfd, byte[] oldPath, int newdirfd, byte[] newName, int flags)
            throws SysException {
        Native.Scratch s = Native.scratch();
        MemorySegment o = s.cstr(s.path1, oldPath, "linkat");
        linkat0(s, olddirfd, o, newdirfd, s.cstr(s.path2, newName, "linkat"), flags, newName);
    }

    public static void linkat(int olddirfd, byte[] oldPath, int newdirfd, Name newName, int flags)
            throws SysException {
        Native.Scratch s = Native.scratch();
        MemorySegment o = s.cstr(s.path1, oldPath, "linkat");
        linkat0(s, olddirfd, o, newdirfd, s.cstr(s.path2, newName), flags, newName);
    }

    private static void linkat0(Native.Scratch s, int olddirfd, MemorySegment o, int newdirfd, MemorySegment n,
                                int flags, Object subject) throws SysException {
        try {
            if ((int) LINKAT.invokeExact(s.state, olddirfd, o, newdirfd, n, flags) == -1) {
                throw fail("linkat", subject, s.state);
            }
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public static void unlinkat(int dirfd, byte[] name, int flags) throws SysException {
        Native.Scratch s = Native.scratch();
        unlinkat0(s, dirfd, s.cstr(s.path1, name, "unlinkat"), flags, name);
    }

    public static void unlinkat(int dirfd, Name name, int flags) throws SysException {
        Native.Scratch s = Native.scratch();
        unlinkat0(s, dirfd, s.cstr(s.path1, name), flags, name);
    }

    private static void unlinkat0(Native.Scratch s, int dirfd, MemorySegment p, int flags, Object subject)
            throws SysException {
        try {
            if ((int) UNLINKAT.invokeExact(s.state, dirfd, p, flags) == -1) throw fail("unlinkat", subject, s.state);
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public static void renameat2(int olddirfd, byte[] oldName, int newdirfd, byte[] newName, int flags)
            throws SysException {
        Native.Scratch s = Native.scratch();
        MemorySegment o = s.cstr(s.path1, oldName, "renameat2");
        renameat2_0(s, olddirfd, o, newdirfd, s.cstr(s.path2, newName, "renameat2"), flags, oldName);
    }

    public static void renameat2(int olddirfd, Name oldName, int newdirfd, Name newName, int flags)
            throws SysException {
        Native.Scratch s = Native.scratch();
        MemorySegment o = s.cstr(s.path1, oldName);
        renameat2_0(s, olddirfd, o, newdirfd, s.cstr(s.path2, newName), flags, oldName);
    }

    private static void renameat2_0(Native.Scratch s, int olddirfd, MemorySegment o, int newdirfd, MemorySegment n,
                                    int flags, Object subject) throws SysException {
        try {
            if ((int) RENAMEAT2.invokeExact(s.state, olddirfd, o, newdirfd, n, flags) == -1) {
                throw fail("renameat2", subject, s.state);
            }
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    // ---------------------------------------------------------------- directories

    /**
     * A reusable native buffer for {@link #getdents64}; owns native memory until closed. Not
     * thread-safe: one per open directory, used under that directory handle's lock.
     */
    public static final class DirBuffer implements AutoCloseable {
        private final Arena arena = Arena.ofShared();
        private final MemorySegment buf;
        private final byte[] name = new byte[Native.PATH_MAX];

        public DirBuffer(int size) {
            buf = arena.allocate(size, 8);
        }

        @Override
        public void close() {
            arena.close();
        }
    }

    /**
     * One getdents64 call at the descriptor's current position; empty list at the end. Names are
     * the raw bytes; an entry whose name is not a valid {@link Name} (longer than 255 bytes, which
     * Linux file systems do not make) is skipped.
     */
    public static List<Dirent> getdents64(int fd, DirBuffer b) throws SysException {
        long n;
        try {
            MemorySegment st = Native.state();
            n = Libc.check("getdents64", (long) GETDENTS64.invokeExact(st, fd, b.buf, b.buf.byteSize()), st);
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        List<Dirent> out = new ArrayList<>();
        MemorySegment m = b.buf;
        for (long p = 0; p < n; ) {
            long ino = m.get(JAVA_LONG, p), off = m.get(JAVA_LONG, p + 8);
            int reclen = m.get(JAVA_SHORT, p + 16) & 0xffff;
            int type = m.get(JAVA_BYTE, p + 18) & 0xff;
            int len = 0, max = Math.min(reclen - 19, b.name.length);
            while (len < max && m.get(JAVA_BYTE, p + 19 + len) != 0) len++;
            MemorySegment.copy(m, JAVA_BYTE, p + 19, b.name, 0, len);
            try {
                out.add(new Dirent(ino, off, type, Name.of(b.name, 0, len)));
            } catch (FsException unrepresentable) {
                // cannot be named through the SPI; skipping it keeps the rest of the listing usable
            }
            p += reclen;
        }
        return out;
    }

    // ---------------------------------------------------------------- misc

    /** fstatfs (works on O_PATH descriptors). Layout of struct statfs on LP64 Linux. */
    public static FsStat fstatfs(int fd) throws SysException {
        try {
            Native.Scratch s = Native.scratch();
            MemorySegment b = s.struct1;
            Libc.check("fstatfs", (int) FSTATFS.invokeExact(s.state, fd, b), s.state);
            return new FsStat(b.get(JAVA_LONG, 0), b.get(JAVA_LONG, 8), b.get(JAVA_LONG, 16), b.get(JAVA_LONG, 24),
                    b.get(JAVA_LONG, 32), b.get(JAVA_LONG, 40), b.get(JAVA_LONG, 48), b.get(JAVA_LONG, 64),
                    b.get(JAVA_LONG, 72), b.get(JAVA_LONG, 80));
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * name_to_handle_at(dirfd, path, ..., flags); {@link #EMPTY_PATH} with AT_EMPTY_PATH names the
     * descriptor's own object. EOPNOTSUPP if the file system cannot export handles, EOVERFLOW if
     * the handle does not fit MAX_HANDLE_SZ; anything else is a real failure.
     */
    public static FileHandle nameToHandleAt(int dirfd, byte[] path, int flags) throws SysException {
        Native.Scratch s = Native.scratch();
        return nameToHandleAt0(s, dirfd, s.cstr(s.path1, path, "name_to_handle_at"), flags, path);
    }

    public static FileHandle nameToHandleAt(int dirfd, Name name, int flags) throws SysException {
        Native.Scratch s = Native.scratch();
        return nameToHandleAt0(s, dirfd, s.cstr(s.path1, name), flags, name);
    }

    private static FileHandle nameToHandleAt0(Native.Scratch s, int dirfd, MemorySegment p, int flags, Object subject)
            throws SysException {
        try {
            MemorySegment fh = s.struct1.asSlice(0, 8 + MAX_HANDLE_SZ);
            fh.set(JAVA_INT, 0, MAX_HANDLE_SZ);
            MemorySegment mnt = s.struct0.asSlice(0, 4);
            int rc = (int) NAME_TO_HANDLE_AT.invokeExact(s.state, dirfd, p, fh, mnt, flags);
            if (rc == -1) throw fail("name_to_handle_at", subject, s.state);
            int len = fh.get(JAVA_INT, 0);
            return new FileHandle(fh.get(JAVA_INT, 4), fh.asSlice(8, len).toArray(JAVA_BYTE), mnt.get(JAVA_INT, 0));
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * open_by_handle_at (needs CAP_DAC_READ_SEARCH). {@code mountFd} must be a non-O_PATH descriptor
     * on the handle's mount. ESTALE once the file is gone.
     */
    public static int openByHandleAt(int mountFd, FileHandle handle, int flags) throws SysException {
        try {
            Native.Scratch s = Native.scratch();
            byte[] bytes = handle.bytes;
            MemorySegment fh = s.struct1.asSlice(0, 8 + bytes.length);
            fh.set(JAVA_INT, 0, bytes.length);
            fh.set(JAVA_INT, 4, handle.type());
            MemorySegment.copy(bytes, 0, fh, JAVA_BYTE, 8, bytes.length);
            return Libc.check("open_by_handle_at", (int) OPEN_BY_HANDLE_AT.invokeExact(s.state, mountFd, fh, flags),
                    s.state);
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    // ---------------------------------------------------------------- xattrs

    // Two families. f*: on a real (non-O_PATH) descriptor. *Of: on the object any descriptor refers
    // to, O_PATH included, through "/proc/self/fd/N" with the following variants: the magic link
    // lands on the inode itself (a symlink included, which is not followed further), so no path
    // that anyone could change is involved. Names are bytes (XattrName or byte[]).

    /** The value; ENODATA if absent. */
    public static byte[] fgetxattr(int fd, byte[] name) throws SysException {
        Native.Scratch s = Native.scratch();
        return xget(s, fd, null, s.cstr(s.path2, name, "fgetxattr"), name);
    }

    public static byte[] getxattrOf(int fd, byte[] name) throws SysException {
        Native.Scratch s = Native.scratch();
        return xget(s, -1, s.procFd(s.path1, fd), s.cstr(s.path2, name, "getxattr"), name);
    }

    public static byte[] getxattrOf(int fd, XattrName name) throws SysException {
        Native.Scratch s = Native.scratch();
        return xget(s, -1, s.procFd(s.path1, fd), s.cstr(s.path2, name), name);
    }

    private static byte[] xget(Native.Scratch s, int fd, MemorySegment p, MemorySegment n, Object subject)
            throws SysException {
        try {
            // First try the scratch buffer: one call for the common small value.
            MemorySegment buf = s.result;
            long got = xgetCall(s.state, fd, p, n, buf, buf.byteSize());
            if (got >= 0) return buf.asSlice(0, got).toArray(JAVA_BYTE);
            if (Native.errno(s.state) != Errno.ERANGE) throw fail("getxattr", subject, s.state);
            try (Arena a = Arena.ofConfined()) {
                for (int attempt = 0; ; attempt++) {
                    long size = xgetCall(s.state, fd, p, n, MemorySegment.NULL, 0);
                    if (size == -1) throw fail("getxattr", subject, s.state);
                    MemorySegment big = a.allocate(Math.max(1, size));
                    got = xgetCall(s.state, fd, p, n, big, size);
                    if (got >= 0) return big.asSlice(0, got).toArray(JAVA_BYTE);
                    // ERANGE: the value grew between the two calls; ask again.
                    if (Native.errno(s.state) != Errno.ERANGE || attempt > 8) throw fail("getxattr", subject, s.state);
                }
            }
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    private static long xgetCall(MemorySegment st, int fd, MemorySegment p, MemorySegment n, MemorySegment buf,
                                 long size) throws Throwable {
        if (p == null) return (long) FGETXATTR.invokeExact(st, fd, n, buf, size);
        return (long) GETXATTR.invokeExact(st, p, n, buf, size);
    }

    public static void fsetxattr(int fd, byte[] name, byte[] value, int flags) throws SysException {
        Native.Scratch s = Native.scratch();
        xset(s, fd, null, s.cstr(s.path2, name, "fsetxattr"), value, flags, name);
    }

    public static void setxattrOf(int fd, byte[] name, byte[] value, int flags) throws SysException {
        Native.Scratch s = Native.scratch();
        xset(s, -1, s.procFd(s.path1, fd), s.cstr(s.path2, name, "setxattr"), value, flags, name);
    }

    public static void setxattrOf(int fd, XattrName name, byte[] value, int flags) throws SysException {
        Native.Scratch s = Native.scratch();
        xset(s, -1, s.procFd(s.path1, fd), s.cstr(s.path2, name), value, flags, name);
    }

    private static void xset(Native.Scratch s, int fd, MemorySegment p, MemorySegment n, byte[] value, int flags,
                             Object subject) throws SysException {
        try {
            int rc;
            if (value.length <= s.result.byteSize()) {
                MemorySegment v = s.result;
                MemorySegment.copy(value, 0, v, JAVA_BYTE, 0, value.length);
                rc = xsetCall(s.state, fd, p, n, v, value.length, flags);
            } else {
                try (Arena a = Arena.ofConfined()) {
                    rc = xsetCall(s.state, fd, p, n, a.allocateFrom(JAVA_BYTE, value), value.length, flags);
                }
            }
            if (rc == -1) throw fail(p == null ? "fsetxattr" : "setxattr", subject, s.state);
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    private static int xsetCall(MemorySegment st, int fd, MemorySegment p, MemorySegment n, MemorySegment v, long len,
                                int flags) throws Throwable {
        if (p == null) return (int) FSETXATTR.invokeExact(st, fd, n, v, len, flags);
        return (int) SETXATTR.invokeExact(st, p, n, v, len, flags);
    }

    /** Every name, as bytes (unfiltered: callers decide what a caller may see). */
    public static List<byte[]> flistxattr(int fd) throws SysException {
        return xlist(Native.scratch(), fd, null);
    }

    public static List<byte[]> listxattrOf(int fd) throws SysException {
        Native.Scratch s = Native.scratch();
        return xlist(s, -1, s.procFd(s.path1, fd));
    }

    private static List<byte[]> xlist(Native.Scratch s, int fd, MemorySegment p) throws SysException {
        try {
            MemorySegment buf = s.result;
            long got = xlistCall(s.state, fd, p, buf, buf.byteSize());
            if (got >= 0) return splitNames(buf, got);
            if (Native.errno(s.state) != Errno.ERANGE) throw fail("listxattr", null, s.state);
            try (Arena a = Arena.ofConfined()) {
                for (int attempt = 0; ; attempt++) {
                    long size = xlistCall(s.state, fd, p, MemorySegment.NULL, 0);
                    if (size == -1) throw fail("listxattr", null, s.state);
                    MemorySegment big = a.allocate(Math.max(1, size));
                    got = xlistCall(s.state, fd, p, big, size);
                    if (got >= 0) return splitNames(big, got);
                    if (Native.errno(s.state) != Errno.ERANGE || attempt > 8) throw fail("listxattr", null, s.state);
                }
            }
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    private static List<byte[]> splitNames(MemorySegment buf, long len) {
        List<byte[]> names = new ArrayList<>();
        long start = 0;
        for (long i = 0; i < len; i++) {
            if (buf.get(JAVA_BYTE, i) == 0) {
                if (i > start) names.add(buf.asSlice(start, i - start).toArray(JAVA_BYTE));
                start = i + 1;
            }
        }
        return names;
    }

    private static long xlistCall(MemorySegment st, int fd, MemorySegment p, MemorySegment buf, long size)
            throws Throwable {
        if (p == null) return (long) FLISTXATTR.invokeExact(st, fd, buf, size);
        return (long) LISTXATTR.invokeExact(st, p, buf, size);
    }

    public static void fremovexattr(int fd, byte[] name) throws SysException {
        Native.Scratch s = Native.scratch();
        xremove(s, fd, null, s.cstr(s.path2, name, "fremovexattr"), name);
    }

    public static void removexattrOf(int fd, byte[] name) throws SysException {
        Native.Scratch s = Native.scratch();
        xremove(s, -1, s.procFd(s.path1, fd), s.cstr(s.path2, name, "removexattr"), name);
    }

    public static void removexattrOf(int fd, XattrName name) throws SysException {
        Native.Scratch s = Native.scratch();
        xremove(s, -1, s.procFd(s.path1, fd), s.cstr(s.path2, name), name);
    }

    private static void xremove(Native.Scratch s, int fd, MemorySegment p, MemorySegment n, Object subject)
            throws SysException {
        try {
            int rc = p == null ? (int) FREMOVEXATTR.invokeExact(s.state, fd, n)
                    : (int) REMOVEXATTR.invokeExact(s.state, p, n);
            if (rc == -1) throw fail(p == null ? "fremovexattr" : "removexattr", subject, s.state);
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }
}
