package io.strata.sys;

import io.strata.core.Errno;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * posix_spawn with one inherited descriptor: what ProcessBuilder cannot do (it closes every fd but
 * 0-2), and what fusermount3 needs to hand /dev/fuse back over a socket (_FUSE_COMMFD).
 */
public final class Spawn {
    private Spawn() {}

    private static final MethodHandle FA_INIT = Native.plainCall("posix_spawn_file_actions_init",
            FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle FA_DUP2 = Native.plainCall("posix_spawn_file_actions_adddup2",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
    private static final MethodHandle FA_DESTROY = Native.plainCall("posix_spawn_file_actions_destroy",
            FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle SPAWNP = Native.plainCall("posix_spawnp",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
    private static final MethodHandle WAITPID = Native.errnoCall("waitpid",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));

    /**
     * Runs {@code argv} (PATH lookup) with {@code env}, passing {@code fd} as descriptor
     * {@code childFd}, and waits for it. Returns the exit status (or 128+signal).
     */
    public static int runWithFd(String[] argv, String[] env, int fd, int childFd) throws SysException {
        int pid = start(argv, env, new int[] {fd}, new int[] {childFd});
        try (Arena a = Arena.ofConfined()) {
            MemorySegment status = a.allocate(JAVA_INT);
            MemorySegment st = Native.state();
            int r;
            do {
                r = (int) WAITPID.invokeExact(st, pid, status, 0);
            } while (r == -1 && Native.errno(st) == Errno.EINTR);
            Libc.check("waitpid", r, st);
            int s = status.get(JAVA_INT, 0);
            return (s & 0x7f) == 0 ? (s >> 8) & 0xff : 128 + (s & 0x7f);
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * Starts {@code argv} (PATH lookup) with {@code env} and returns its pid without waiting: the
     * child gets {@code from[i]} as descriptor {@code to[i]} (and nothing else of ours: every other
     * descriptor here is close-on-exec). For a daemon that must inherit a pre-opened /dev/fuse.
     * The sources are first copied above every target, so a source that happens to have a
     * target's number is not overwritten before it is used.
     */
    public static int start(String[] argv, String[] env, int[] from, int[] to) throws SysException {
        if (from.length != to.length) throw new IllegalArgumentException("from and to differ in length");
        int[] high = new int[from.length];
        try (Arena a = Arena.ofConfined()) {
            int max = 3;
            for (int t : to) max = Math.max(max, t + 1);
            for (int i = 0; i < from.length; i++) high[i] = Libc.fcntl(from[i], F_DUPFD_CLOEXEC, max);
            MemorySegment fa = a.allocate(256, 16);
            int rc = (int) FA_INIT.invokeExact(fa);
            if (rc != 0) throw new SysException("posix_spawn_file_actions_init", rc);
            try {
                for (int i = 0; i < from.length; i++) {
                    rc = (int) FA_DUP2.invokeExact(fa, high[i], to[i]);
                    if (rc != 0) throw new SysException("posix_spawn_file_actions_adddup2", rc);
                }
                MemorySegment pid = a.allocate(JAVA_INT);
                rc = (int) SPAWNP.invokeExact(pid, a.allocateFrom(argv[0]), fa, MemorySegment.NULL,
                        strings(a, argv), strings(a, env));
                if (rc != 0) throw new SysException("posix_spawnp", argv[0], rc);
                return pid.get(JAVA_INT, 0);
            } finally {
                int ignored = (int) FA_DESTROY.invokeExact(fa);
            }
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        } finally {
            for (int h : high) if (h > 0) Libc.closeQuietly(h);
        }
    }

    private static final int F_DUPFD_CLOEXEC = 1030;

    private static MemorySegment strings(Arena a, String[] s) {
        MemorySegment arr = a.allocate(ADDRESS.byteSize() * (s.length + 1), 8);
        for (int i = 0; i < s.length; i++) arr.setAtIndex(ADDRESS, i, a.allocateFrom(s[i]));
        arr.setAtIndex(ADDRESS, s.length, MemorySegment.NULL);
        return arr;
    }
}
