package io.strata.sys;

import io.strata.core.Errno;
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
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Descriptor-relative file calls (the *at family, statx, openat2, file handles, xattrs, getdents64,
 * ...) for servers that must resolve every name relative to a held descriptor instead of a path, so
 * that a concurrent rename or symlink swap cannot redirect them.
 *
 * <p>Like {@link Libc}, every failing call throws a {@link SysException} naming the call and errno.
 * Paths and names are Java strings encoded as UTF-8 into a short-lived confined arena; results are
 * plain Java records, so no caller outside this package ever sees a native address.
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

    private static final MethodHandle OPENAT = Native.errnoCallVariadic("openat",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), 3);
    private static final MethodHandle SYSCALL4 = Native.errnoCallVariadic("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG), 1);
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
    private static final MethodHandle LGETXATTR = Native.errnoCall("lgetxattr",
            FunctionDescriptor.of(JAVA_LONG, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG));
    private static final MethodHandle FGETXATTR = Native.errnoCall("fgetxattr",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG));
    private static final MethodHandle SETXATTR = Native.errnoCall("setxattr",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle LSETXATTR = Native.errnoCall("lsetxattr",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle FSETXATTR = Native.errnoCall("fsetxattr",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle LISTXATTR = Native.errnoCall("listxattr",
            FunctionDescriptor.of(JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG));
    private static final MethodHandle LLISTXATTR = Native.errnoCall("llistxattr",
            FunctionDescriptor.of(JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG));
    private static final MethodHandle FLISTXATTR = Native.errnoCall("flistxattr",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle REMOVEXATTR = Native.errnoCall("removexattr",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle LREMOVEXATTR = Native.errnoCall("lremovexattr",
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

    /** One getdents64 record: d_ino, d_off (the cookie that resumes after it), d_type, d_name. */
    public record Dirent(long ino, long off, int type, String name) {}

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

    // ---------------------------------------------------------------- opening

    public static int openat(int dirfd, String path, int flags, int mode) throws SysException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.state();
            return Libc.check("openat " + path, (int) OPENAT.invokeExact(st, dirfd, a.allocateFrom(path), flags, mode),
                    st);
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
    public static int openat2(int dirfd, String path, long flags, long mode, long resolve) throws SysException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment how = a.allocate(24, 8);
            how.set(JAVA_LONG, 0, flags);
            how.set(JAVA_LONG, 8, mode);
            how.set(JAVA_LONG, 16, resolve);
            MemorySegment st = Native.state();
            long rc = (long) SYSCALL4.invokeExact(st, SYS_OPENAT2, (long) dirfd, a.allocateFrom(path), how, 24L);
            return (int) Libc.check("openat2 " + path, rc, st);
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

    /** statx(dirfd, path, flags, mask); use path "" with AT_EMPTY_PATH for the descriptor itself. */
    public static Stat statx(int dirfd, String path, int flags, int mask) throws SysException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(256, 8);
            MemorySegment st = Native.state();
            Libc.check("statx " + path, (int) STATX.invokeExact(st, dirfd, a.allocateFrom(path), flags, mask, buf), st);
            return parseStatx(buf);
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** Attributes of the object {@code fd} refers to (works on O_PATH descriptors, never follows). */
    public static Stat fstat(int fd) throws SysException {
        return statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS | STATX_MNT_ID);
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

    public static void fchmodat(int dirfd, String path, int mode, int flags) throws SysException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.state();
            Libc.check("fchmodat " + path, (int) FCHMODAT.invokeExact(st, dirfd, a.allocateFrom(path), mode, flags), st);
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
    public static void fchownat(int dirfd, String path, int uid, int gid, int flags) throws SysException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.state();
            Libc.check("fchownat " + path, (int) FCHOWNAT.invokeExact(st, dirfd, a.allocateFrom(path), uid, gid, flags),
                    st);
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
    public static void utimensat(int dirfd, String path, long atimeNs, long mtimeNs, int flags) throws SysException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment times = a.allocate(32, 8);
            putTime(times, 0, atimeNs);
            putTime(times, 16, mtimeNs);
            MemorySegment st = Native.state();
            Libc.check("utimensat " + path, (int) UTIMENSAT.invokeExact(st, dirfd, a.allocateFrom(path), times, flags),
                    st);
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
        try (Arena a = Arena.ofConfined()) {
            MemorySegment in = a.allocateFrom(JAVA_LONG, offIn), out = a.allocateFrom(JAVA_LONG, offOut);
            MemorySegment st = Native.state();
            return Libc.check("copy_file_range",
                    (long) COPY_FILE_RANGE.invokeExact(st, fdIn, in, fdOut, out, len, flags), st);
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    // ---------------------------------------------------------------- names

    public static void mkdirat(int dirfd, String name, int mode) throws SysException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.state();
            Libc.check("mkdirat " + name, (int) MKDIRAT.invokeExact(st, dirfd, a.allocateFrom(name), mode), st);
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** mknodat; {@code dev} in glibc dev_t encoding ({@link #makedev}). */
    public static void mknodat(int dirfd, String name, int mode, long dev) throws SysException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.state();
            Libc.check("mknodat " + name, (int) MKNODAT.invokeExact(st, dirfd, a.allocateFrom(name), mode, dev), st);
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public static void symlinkat(String target, int dirfd, String name) throws SysException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.state();
            Libc.check("symlinkat " + name,
                    (int) SYMLINKAT.invokeExact(st, a.allocateFrom(target), dirfd, a.allocateFrom(name)), st);
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** The link text (UTF-8 decoded); path "" reads the symlink an O_PATH descriptor refers to. */
    public static String readlinkat(int dirfd, String path) throws SysException {
        return new String(readlinkatBytes(dirfd, path), StandardCharsets.UTF_8);
    }

    public static byte[] readlinkatBytes(int dirfd, String path) throws SysException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocateFrom(path);
            for (long size = 256; ; size *= 4) {
                MemorySegment buf = a.allocate(size);
                MemorySegment st = Native.state();
                long n = Libc.check("readlinkat " + path, (long) READLINKAT.invokeExact(st, dirfd, p, buf, size), st);
                if (n < size) return buf.asSlice(0, n).toArray(JAVA_BYTE);
                if (size > 1 << 20) throw new SysException("readlinkat " + path, Errno.ENAMETOOLONG);
            }
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** linkat; with AT_EMPTY_PATH and oldPath "" links the file {@code olddirfd} refers to (root only). */
    public static void linkat(int olddirfd, String oldPath, int newdirfd, String newName, int flags)
            throws SysException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.state();
            Libc.check("linkat " + newName, (int) LINKAT.invokeExact(st, olddirfd, a.allocateFrom(oldPath), newdirfd,
                    a.allocateFrom(newName), flags), st);
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public static void unlinkat(int dirfd, String name, int flags) throws SysException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.state();
            Libc.check("unlinkat " + name, (int) UNLINKAT.invokeExact(st, dirfd, a.allocateFrom(name), flags), st);
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public static void renameat2(int olddirfd, String oldName, int newdirfd, String newName, int flags)
            throws SysException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.state();
            Libc.check("renameat2 " + oldName, (int) RENAMEAT2.invokeExact(st, olddirfd, a.allocateFrom(oldName),
                    newdirfd, a.allocateFrom(newName), flags), st);
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

        public DirBuffer(int size) {
            buf = arena.allocate(size, 8);
        }

        @Override
        public void close() {
            arena.close();
        }
    }

    /** One getdents64 call at the descriptor's current position; empty list at the end. */
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
        for (long p = 0; p < n; ) {
            long ino = b.buf.get(JAVA_LONG, p), off = b.buf.get(JAVA_LONG, p + 8);
            int reclen = b.buf.get(JAVA_SHORT, p + 16) & 0xffff;
            int type = b.buf.get(JAVA_BYTE, p + 18) & 0xff;
            out.add(new Dirent(ino, off, type, b.buf.getString(p + 19)));
            p += reclen;
        }
        return out;
    }

    // ---------------------------------------------------------------- misc

    /** fstatfs (works on O_PATH descriptors). Layout of struct statfs on LP64 Linux. */
    public static FsStat fstatfs(int fd) throws SysException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment b = a.allocate(120, 8);
            MemorySegment st = Native.state();
            Libc.check("fstatfs", (int) FSTATFS.invokeExact(st, fd, b), st);
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
     * name_to_handle_at(dirfd, path, ..., flags); path "" with AT_EMPTY_PATH names the descriptor's
     * own object. EOPNOTSUPP if the file system cannot export handles.
     */
    public static FileHandle nameToHandleAt(int dirfd, String path, int flags) throws SysException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment fh = a.allocate(8 + MAX_HANDLE_SZ, 8);
            fh.set(JAVA_INT, 0, MAX_HANDLE_SZ);
            MemorySegment mnt = a.allocate(JAVA_INT);
            MemorySegment st = Native.state();
            Libc.check("name_to_handle_at " + path,
                    (int) NAME_TO_HANDLE_AT.invokeExact(st, dirfd, a.allocateFrom(path), fh, mnt, flags), st);
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
        try (Arena a = Arena.ofConfined()) {
            byte[] bytes = handle.bytes;
            MemorySegment fh = a.allocate(8 + bytes.length, 8);
            fh.set(JAVA_INT, 0, bytes.length);
            fh.set(JAVA_INT, 4, handle.type());
            MemorySegment.copy(bytes, 0, fh, JAVA_BYTE, 8, bytes.length);
            MemorySegment st = Native.state();
            return Libc.check("open_by_handle_at", (int) OPEN_BY_HANDLE_AT.invokeExact(st, mountFd, fh, flags), st);
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    // ---------------------------------------------------------------- xattrs

    /**
     * getxattr on a path. {@code follow} picks getxattr over lgetxattr. To reach the object an O_PATH
     * descriptor refers to, use path "/proc/self/fd/N" with follow=true: the magic link jumps to the
     * object itself (a symlink is not followed further), while lgetxattr would act on the proc link.
     */
    public static byte[] getxattr(String path, String name, boolean follow) throws SysException {
        return xget(-1, path, name, follow);
    }

    public static byte[] fgetxattr(int fd, String name) throws SysException {
        return xget(fd, null, name, false);
    }

    private static byte[] xget(int fd, String path, String name, boolean follow) throws SysException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = path == null ? MemorySegment.NULL : a.allocateFrom(path), n = a.allocateFrom(name);
            for (int attempt = 0; ; attempt++) {
                MemorySegment st = Native.state();
                long size = Libc.check("getxattr " + name, xgetCall(st, fd, p, n, MemorySegment.NULL, 0, follow), st);
                if (size == 0) return new byte[0];
                MemorySegment buf = a.allocate(size);
                long got = xgetCall(st, fd, p, n, buf, size, follow);
                if (got >= 0) return buf.asSlice(0, got).toArray(JAVA_BYTE);
                // ERANGE: the value grew between the two calls; ask again.
                if (Native.errno(st) != Errno.ERANGE || attempt > 8) Libc.check("getxattr " + name, got, st);
            }
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    private static long xgetCall(MemorySegment st, int fd, MemorySegment p, MemorySegment n, MemorySegment buf, long size,
                                 boolean follow) throws Throwable {
        if (p.equals(MemorySegment.NULL)) return (long) FGETXATTR.invokeExact(st, fd, n, buf, size);
        return follow ? (long) GETXATTR.invokeExact(st, p, n, buf, size)
                : (long) LGETXATTR.invokeExact(st, p, n, buf, size);
    }

    public static void setxattr(String path, String name, byte[] value, int flags, boolean follow)
            throws SysException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = value.length == 0 ? a.allocate(1) : a.allocateFrom(JAVA_BYTE, value);
            MemorySegment st = Native.state();
            int rc = follow ? (int) SETXATTR.invokeExact(st, a.allocateFrom(path), a.allocateFrom(name), v,
                    (long) value.length, flags)
                    : (int) LSETXATTR.invokeExact(st, a.allocateFrom(path), a.allocateFrom(name), v,
                    (long) value.length, flags);
            Libc.check("setxattr " + name, rc, st);
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public static void fsetxattr(int fd, String name, byte[] value, int flags) throws SysException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = value.length == 0 ? a.allocate(1) : a.allocateFrom(JAVA_BYTE, value);
            MemorySegment st = Native.state();
            Libc.check("fsetxattr " + name,
                    (int) FSETXATTR.invokeExact(st, fd, a.allocateFrom(name), v, (long) value.length, flags), st);
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public static List<String> listxattr(String path, boolean follow) throws SysException {
        return xlist(-1, path, follow);
    }

    public static List<String> flistxattr(int fd) throws SysException {
        return xlist(fd, null, false);
    }

    private static List<String> xlist(int fd, String path, boolean follow) throws SysException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = path == null ? MemorySegment.NULL : a.allocateFrom(path);
            for (int attempt = 0; ; attempt++) {
                MemorySegment st = Native.state();
                long size = Libc.check("listxattr", xlistCall(st, fd, p, MemorySegment.NULL, 0, follow), st);
                if (size == 0) return List.of();
                MemorySegment buf = a.allocate(size);
                long got = xlistCall(st, fd, p, buf, size, follow);
                if (got >= 0) {
                    List<String> names = new ArrayList<>();
                    for (long off = 0; off < got; ) {
                        String s = buf.getString(off);
                        names.add(s);
                        off += s.getBytes(StandardCharsets.UTF_8).length + 1;
                    }
                    return names;
                }
                if (Native.errno(st) != Errno.ERANGE || attempt > 8) Libc.check("listxattr", got, st);
            }
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    private static long xlistCall(MemorySegment st, int fd, MemorySegment p, MemorySegment buf, long size,
                                  boolean follow) throws Throwable {
        if (p.equals(MemorySegment.NULL)) return (long) FLISTXATTR.invokeExact(st, fd, buf, size);
        return follow ? (long) LISTXATTR.invokeExact(st, p, buf, size) : (long) LLISTXATTR.invokeExact(st, p, buf, size);
    }

    public static void removexattr(String path, String name, boolean follow) throws SysException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.state();
            int rc = follow ? (int) REMOVEXATTR.invokeExact(st, a.allocateFrom(path), a.allocateFrom(name))
                    : (int) LREMOVEXATTR.invokeExact(st, a.allocateFrom(path), a.allocateFrom(name));
            Libc.check("removexattr " + name, rc, st);
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public static void fremovexattr(int fd, String name) throws SysException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Native.state();
            Libc.check("fremovexattr " + name, (int) FREMOVEXATTR.invokeExact(st, fd, a.allocateFrom(name)), st);
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }
}
