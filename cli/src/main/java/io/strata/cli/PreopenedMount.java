package io.strata.cli;

import io.strata.sys.Libc;
import io.strata.sys.Spawn;
import io.strata.sys.SysException;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Background mode for a mount point given as {@code /dev/fd/N}: mount.fuse3's {@code drop_privileges}
 * opens /dev/fuse, mounts it, drops its capabilities and runs {@code strata SOURCE /dev/fd/N}. The
 * kernel mount exists already, so there is nothing to wait for in the mount table: the daemon must
 * inherit descriptor N (ProcessBuilder closes every descriptor but 0-2, hence posix_spawn) and says
 * it is serving (INIT answered) over a socket pair. If it dies first, its log says why; either way
 * the caller (mount.fuse3, mount(8)) gets a status that tells the truth.
 */
final class PreopenedMount {
    private PreopenedMount() {}

    /** The descriptor numbers the daemon gets: /dev/fuse and its end of the ready socket. */
    static final int CHILD_FUSE_FD = 3, CHILD_READY_FD = 4;

    static int start(String[] args, Path mnt, int fuseFd, Path log, PrintStream out, PrintStream err) {
        int[] pair = null;
        int logFd = -1, nullFd = -1;
        try {
            log = Daemon.createLog(log, "preopened-" + ProcessHandle.current().pid() + ".log", err);
            if (log == null) return 1;
            List<String> mountArgs = new ArrayList<>();
            for (String a : args) mountArgs.add(a.equals(mnt.toString()) ? "/dev/fd/" + CHILD_FUSE_FD : a);
            List<String> cmd = Daemon.foregroundCommand(mountArgs);
            cmd.add("--ready-fd");
            cmd.add(Integer.toString(CHILD_READY_FD));
            List<String> env = new ArrayList<>();
            for (Map.Entry<String, String> e : System.getenv().entrySet()) {
                if (!e.getKey().equals("STRATA_LOG_FILE")) env.add(e.getKey() + "=" + e.getValue());
            }
            env.add("STRATA_LOG_FILE=" + log);
            pair = Libc.socketpair(Libc.SOCK_STREAM);
            logFd = Libc.open(log.toString(), Libc.O_WRONLY | Libc.O_APPEND | Libc.O_NOFOLLOW | Libc.O_CLOEXEC, 0);
            nullFd = Libc.open("/dev/null", Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
            int pid = Spawn.start(cmd.toArray(String[]::new), env.toArray(String[]::new),
                    new int[] {nullFd, logFd, logFd, fuseFd, pair[1]}, new int[] {0, 1, 2, CHILD_FUSE_FD, CHILD_READY_FD});
            Libc.closeQuietly(pair[1]);
            pair[1] = -1;
            // one byte: serving; end of file: it died before (its log says why)
            if (Libc.pollOne(pair[0], Libc.POLLIN, 30_000) == 0) {
                err.println("strata: the daemon (pid " + pid + ") did not start serving within 30 s; see " + log);
                return 1;
            }
            try (Arena a = Arena.ofConfined()) {
                MemorySegment b = a.allocate(1);
                if (Libc.read(pair[0], b, 1) == 1) {
                    out.println("strata: serving the mount made by mount.fuse3 (" + mnt + "; daemon pid " + pid + ", log " + log + ")");
                    return 0;
                }
            }
            err.println("strata: the daemon exited before serving:");
            List<String> lines = Files.readAllLines(log);
            for (String l : lines.subList(Math.max(0, lines.size() - 15), lines.size())) err.println("  " + l);
            return 1;
        } catch (SysException e) {
            err.println("strata: cannot start the daemon: " + e.getMessage());
            return 1;
        } catch (IOException e) {
            err.println("strata: cannot start the daemon: " + e.getMessage());
            return 1;
        } finally {
            if (pair != null) {
                Libc.closeQuietly(pair[0]);
                if (pair[1] >= 0) Libc.closeQuietly(pair[1]);
            }
            if (logFd >= 0) Libc.closeQuietly(logFd);
            if (nullFd >= 0) Libc.closeQuietly(nullFd);
        }
    }

    /** In the daemon: tells the starter the mount is served, and lets go of the socket. */
    static void signalReady(int readyFd) {
        if (readyFd < 0) return;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment b = a.allocate(1);
            b.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 0, (byte) 1);
            Libc.write(readyFd, b, 1);
        } catch (SysException e) {
            // the starter is gone: nobody to tell
        } finally {
            Libc.closeQuietly(readyFd);
        }
    }
}
