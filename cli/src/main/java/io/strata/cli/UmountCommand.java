package io.strata.cli;

import io.strata.fuse.Mounter;
import java.io.PrintStream;
import java.nio.file.Path;

/** {@code strata umount [-l] MNT}: unmount; a mount whose daemon died is detached (it answers ENOTCONN). */
final class UmountCommand {
    private UmountCommand() {}

    /** Whether process {@code pid} ended (or is a zombie: it has released everything) within {@code ms}. */
    static boolean awaitExit(long pid, long ms) {
        long deadline = System.nanoTime() + ms * 1_000_000L;
        while (System.nanoTime() < deadline) {
            if (!running(pid)) return true;
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return !running(pid);
    }

    private static boolean running(long pid) {
        try {
            String stat = java.nio.file.Files.readString(Path.of("/proc/" + pid + "/stat"));
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            return state != 'Z' && state != 'X';
        } catch (java.io.IOException | RuntimeException e) {
            return false; // gone
        }
    }

    static int run(String[] args, PrintStream out, PrintStream err) throws UsageException {
        boolean lazy = false;
        Path mp = null;
        for (String a : args) {
            switch (a) {
                case "-l", "--lazy" -> lazy = true;
                case "-h", "--help" -> {
                    out.println("usage: strata umount [-l] MNT");
                    return 0;
                }
                default -> {
                    if (mp != null) throw new UsageException("umount takes one mount point");
                    mp = Path.of(a).toAbsolutePath().normalize();
                }
            }
        }
        if (mp == null) throw new UsageException("usage: strata umount [-l] MNT");
        MountTable.Mount m = MountTable.find(mp);
        if (m == null || !m.type().startsWith("fuse")) {
            err.println("strata: " + mp + " is not a FUSE mount");
            return 1;
        }
        boolean dead = Mounter.isDead(mp);
        var daemon = dead ? java.util.OptionalLong.empty() : MountLock.holder(mp);
        if (!Mounter.unmount(mp, !(lazy || dead))) {
            err.println("strata: cannot unmount " + mp + " (busy? close files using it, or use -l)");
            return 1;
        }
        if (dead) out.println("strata: " + mp + " had lost its daemon; detached it");
        // Return once our daemon has ended (its image flushed and unlocked), so a script may reuse
        // the source at once. A lazy unmount of a busy mount ends the daemon only when it is idle.
        if (daemon.isPresent() && !lazy && !awaitExit(daemon.getAsLong(), 10_000)) {
            err.println("strata: " + mp + " is unmounted, but its daemon (pid " + daemon.getAsLong() + ") still runs after 10 s");
            return 1;
        }
        return 0;
    }
}
