package io.strata.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Background mode: re-runs this command with {@code -f} in a new session (setsid, so the
 * terminal's Ctrl-C does not reach it), output to a log file, and waits until the mount point is
 * a FUSE mount that answers, or the daemon exited (then its log explains why).
 *
 * <p>The log goes to a directory only this user can change ({@link RuntimeDir}) unless --log names
 * one, and is created by {@link LogFile} (never through a symlink, never into someone else's
 * file). The daemon then opens it by name: safe, because nobody else can replace a file in that
 * directory.
 */
final class Daemon {
    private Daemon() {}

    /** The log's name for a mount point: the path with '/' as '_'. */
    static String logName(Path mnt) {
        return mnt.toString().replace('/', '_') + ".log";
    }

    static int start(String[] args, Path mnt, Path log, PrintStream out, PrintStream err) {
        try {
            log = createLog(log, logName(mnt), err);
            if (log == null) return 1;
            List<String> cmd = foregroundCommand(java.util.Arrays.asList(args));
            ProcessBuilder pb = new ProcessBuilder(cmd);
            pb.environment().put("STRATA_LOG_FILE", log.toString()); // for strata list
            Process p = pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectErrorStream(true).start();
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (System.nanoTime() < deadline) {
                MountTable.Mount m = MountTable.find(mnt);
                // the mount must be our daemon's: another strata may have mounted here meanwhile
                if (m != null && m.type().startsWith("fuse") && !io.strata.fuse.Mounter.isDead(mnt) && p.isAlive()
                        && MountLock.heldBy(mnt, p.pid())) {
                    out.println("strata: mounted at " + mnt + " (daemon pid " + p.pid() + ", log " + log + ")");
                    MountLock.info(mnt).ifPresent(i -> i.notes().forEach(n -> err.println("strata: note: " + n)));
                    return 0;
                }
                if (!p.isAlive()) {
                    err.println("strata: the daemon exited with status " + p.exitValue() + ":");
                    printTail(log, err);
                    return 1;
                }
                Thread.sleep(5);
            }
            err.println("strata: the mount did not come up within 30 s; see " + log);
            p.destroy();
            return 1;
        } catch (IOException e) {
            err.println("strata: cannot start the daemon: " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        }
    }

    /**
     * Creates the daemon's log ({@code log}, or {@code defaultName} in the private runtime dir)
     * safely; null (after saying why) if it cannot be made safely.
     */
    static Path createLog(Path log, String defaultName, PrintStream err) throws IOException {
        Path l = log != null ? log : RuntimeDir.forThisProcess().choose().resolve(defaultName);
        try {
            LogFile.create(l, io.strata.sys.Libc.getuid());
            return l;
        } catch (LogFile.UnsafeLogException e) {
            err.println("strata: " + e.getMessage());
            return null;
        }
    }

    /** The daemon's command: this program again, in a new session, as `mount ARGS -f`. */
    static List<String> foregroundCommand(List<String> mountArgs) {
        List<String> cmd = new ArrayList<>();
        cmd.add("setsid");
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.addAll(collector(mountArgs));
        cmd.addAll(relaunch());
        cmd.add("mount");
        cmd.addAll(mountArgs);
        cmd.add("-f");
        return cmd;
    }

    /**
     * The daemon's garbage collector. A backend that keeps file data off the Java heap (ext2,
     * passthrough, 9P, a union of those) has a small live heap (the inodes in use, the buffer
     * cache's blocks) and a high allocation rate; G1 answers that by growing the committed heap
     * (a 100k-name directory: ~0.9 GiB resident for ~160 MiB live), the serial collector keeps
     * it near the live size (~0.34 GiB) and was as fast in bench/ext2-bigdir.sh. The memory backend
     * holds file data on the heap, where G1's short pauses matter more: it keeps G1. A collector
     * chosen by the user (STRATA_JAVA_OPTS) wins.
     */
    static List<String> collector(List<String> mountArgs) {
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("-XX:+Use") && a.endsWith("GC")) return List.of();
        }
        for (String a : mountArgs) if (a.startsWith("memory") || a.contains("memory:")) return List.of();
        return List.of("-XX:+UseSerialGC");
    }

    /**
     * The JVM options and main-class arguments that start this same program again: on the module
     * path (as the launcher runs it, with native access for io.strata.sys only) or, in tests, on
     * the class path. The launcher turns --module-path and -m into jdk.module.* properties, which
     * are not options one may pass back, so the module path and main module are rebuilt.
     */
    static List<String> relaunch() {
        List<String> out = new ArrayList<>();
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!a.startsWith("-Djdk.module.") && !a.startsWith("--module-path")) out.add(a);
        }
        String modulePath = System.getProperty("jdk.module.path");
        if (modulePath != null && Main.class.getModule().isNamed()) {
            out.add("--module-path");
            out.add(modulePath);
            out.add("-m");
            out.add(Main.class.getModule().getName() + "/" + Main.class.getName());
        } else {
            out.add("-cp");
            out.add(System.getProperty("java.class.path"));
            out.add(Main.class.getName());
        }
        return out;
    }

    private static void printTail(Path log, PrintStream err) throws IOException {
        List<String> lines = Files.readAllLines(log);
        for (String l : lines.subList(Math.max(0, lines.size() - 15), lines.size())) err.println("  " + l);
    }
}
