package io.strata.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.strata.core.Errno;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Locale;

/**
 * The calling thread's own credentials, through raw {@code syscall(2)}s. On Linux, credentials
 * belong to a task (a thread); glibc's setresuid/setgroups/... broadcast every change to all threads
 * of the process (POSIX says credentials are per process), so a server that acts for different
 * users on different threads (virtiofsd, knfsd, Strata's passthrough) must bypass them.
 *
 * <p>Semantics worth knowing (credentials(7), capabilities(7)):
 * <ul>
 * <li>Changing the effective uid from 0 to non-zero clears the thread's effective capabilities
 * (CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_MKNOD, CAP_SYS_ADMIN...), so the kernel then checks exactly
 * as for that user; setting it back to 0 restores them from the permitted set (kept, because the
 * real and saved uids stay 0).</li>
 * <li>The file-system uid/gid follow the effective ones; setfsuid alone changes only them and clears
 * only the file-system capabilities (not CAP_MKNOD or CAP_SYS_ADMIN).</li>
 * <li>Changing ids needs CAP_SETUID / CAP_SETGID: change groups and gid before dropping the uid.</li>
 * <li>Any such change marks the process non-dumpable (it stays so).</li>
 * </ul>
 * Only x86_64 and aarch64 are known; elsewhere {@link #supported()} is false and calls fail with ENOSYS.
 */
public final class ThreadCredentials {
    private ThreadCredentials() {}

    private record Numbers(long getgroups, long setgroups, long setresuid, long getresuid, long setresgid,
                           long getresgid, long setfsuid, long setfsgid) {}

    private static final Numbers NR = switch (System.getProperty("os.arch", "").toLowerCase(Locale.ROOT)) {
        case "amd64", "x86_64" -> new Numbers(115, 116, 117, 118, 119, 120, 122, 123);
        case "aarch64", "arm64" -> new Numbers(158, 159, 147, 148, 149, 150, 151, 152);
        default -> null;
    };

    private static final MethodHandle SC1 = Native.errnoCallVariadic("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG), 1);
    private static final MethodHandle SC_LP = Native.errnoCallVariadic("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS), 1);
    private static final MethodHandle SC3 = Native.errnoCallVariadic("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG), 1);
    private static final MethodHandle SC_PPP = Native.errnoCallVariadic("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS, ADDRESS), 1);

    /** True on the architectures whose syscall numbers are known here. */
    public static boolean supported() {
        return NR != null;
    }

    private static Numbers nr(String call) throws SysException {
        if (NR == null) throw new SysException(call, System.getProperty("os.arch"), Errno.ENOSYS);
        return NR;
    }

    /** Unsigned 32-bit id as the kernel's uid_t argument; -1 ("unchanged") stays all ones. */
    private static long id(int v) {
        return v & 0xffffffffL;
    }

    /**
     * setfsuid(2) for this thread; returns the previous file-system uid. Never reports failure (the
     * kernel's interface): call {@link #fsuid()} to see whether it took effect.
     */
    public static int setfsuid(int uid) {
        return (int) sc1(NR == null ? -1 : NR.setfsuid, uid);
    }

    public static int setfsgid(int gid) {
        return (int) sc1(NR == null ? -1 : NR.setfsgid, gid);
    }

    /** This thread's file-system uid (setfsuid(-1) changes nothing and returns it). */
    public static int fsuid() {
        return setfsuid(-1);
    }

    public static int fsgid() {
        return setfsgid(-1);
    }

    private static long sc1(long nr, int arg) {
        if (nr < 0) return -1;
        try {
            return (long) SC1.invokeExact(Native.state(), nr, id(arg));
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** setresuid(2) for this thread only; -1 leaves an id unchanged. */
    public static void setresuid(int ruid, int euid, int suid) throws SysException {
        long n = nr("setresuid").setresuid;
        set3("setresuid", n, ruid, euid, suid);
    }

    /** setresgid(2) for this thread only; -1 leaves an id unchanged. */
    public static void setresgid(int rgid, int egid, int sgid) throws SysException {
        long n = nr("setresgid").setresgid;
        set3("setresgid", n, rgid, egid, sgid);
    }

    private static void set3(String call, long nr, int a, int b, int c) throws SysException {
        try {
            MemorySegment st = Native.state();
            long rc = (long) SC3.invokeExact(st, nr, id(a), id(b), id(c));
            if (rc == -1) throw new SysException(call, Native.errno(st));
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** {real, effective, saved} uid of this thread. */
    public static int[] getresuid() throws SysException {
        return get3("getresuid", nr("getresuid").getresuid);
    }

    /** {real, effective, saved} gid of this thread. */
    public static int[] getresgid() throws SysException {
        return get3("getresgid", nr("getresgid").getresgid);
    }

    private static int[] get3(String call, long nr) throws SysException {
        try {
            Native.Scratch s = Native.scratch();
            MemorySegment b = s.struct1;
            long rc = (long) SC_PPP.invokeExact(s.state, nr, b, b.asSlice(4), b.asSlice(8));
            if (rc == -1) throw new SysException(call, Native.errno(s.state));
            return new int[] {b.get(JAVA_INT, 0), b.get(JAVA_INT, 4), b.get(JAVA_INT, 8)};
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** setgroups(2) for this thread only (needs CAP_SETGID). An empty array clears them. */
    public static void setgroups(int[] groups) throws SysException {
        long n = nr("setgroups").setgroups;
        try {
            Native.Scratch s = Native.scratch();
            if (groups.length * 4L <= s.struct1.byteSize()) {
                MemorySegment b = s.struct1;
                for (int i = 0; i < groups.length; i++) b.setAtIndex(JAVA_INT, i, groups[i]);
                long rc = (long) SC_LP.invokeExact(s.state, n, (long) groups.length, b);
                if (rc == -1) throw new SysException("setgroups", groups.length, Native.errno(s.state));
            } else {
                try (Arena a = Arena.ofConfined()) {
                    long rc = (long) SC_LP.invokeExact(s.state, n, (long) groups.length, a.allocateFrom(JAVA_INT, groups));
                    if (rc == -1) throw new SysException("setgroups", groups.length, Native.errno(s.state));
                }
            }
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** This thread's supplementary groups. */
    public static int[] getgroups() throws SysException {
        long n = nr("getgroups").getgroups;
        try {
            MemorySegment st = Native.state();
            long count = (long) SC_LP.invokeExact(st, n, 0L, MemorySegment.NULL);
            if (count == -1) throw new SysException("getgroups", Native.errno(st));
            try (Arena a = Arena.ofConfined()) {
                MemorySegment b = a.allocate(JAVA_INT, Math.max(1, count));
                long got = (long) SC_LP.invokeExact(st, n, count, b);
                if (got == -1) throw new SysException("getgroups", Native.errno(st));
                return b.asSlice(0, got * 4).toArray(JAVA_INT);
            }
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }
}
