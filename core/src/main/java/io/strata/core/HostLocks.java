package io.strata.core;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;

/**
 * Whole-file advisory locks between Strata processes (an image mounted read-write, a mount point
 * being mounted), and who holds one, for the message. POSIX record locks, so: per process, released
 * when the process ends (also by a crash: no stale lock files), and dropped if the process closes
 * any other descriptor of the same file, which the holders here never do.
 */
public final class HostLocks {
    private HostLocks() {}

    /** Someone else holds the lock. */
    public static final class HeldException extends IOException {
        private final OptionalLong holder;

        public HeldException(String message, OptionalLong holder) {
            super(message);
            this.holder = holder;
        }

        /** The holding process, when /proc/locks tells. */
        public OptionalLong holder() {
            return holder;
        }
    }

    /**
     * An exclusive lock on all of {@code ch}'s file (opened for writing), or HeldException naming
     * the holder. {@code what} describes the file for the message, e.g. "image /x.img".
     */
    public static FileLock lockExclusive(FileChannel ch, Path file, String what) throws IOException {
        FileLock l;
        try {
            l = ch.tryLock();
        } catch (OverlappingFileLockException e) {
            throw new HeldException(what + " is already in use by this process", OptionalLong.of(ProcessHandle.current().pid()));
        }
        if (l != null) return l;
        OptionalLong pid = holder(file);
        throw new HeldException(what + " is in use by " + (pid.isPresent() ? "process " + pid.getAsLong() + describe(pid.getAsLong())
                : "another process"), pid);
    }

    /** The pid holding a POSIX or flock lock on {@code file}, from /proc/locks (Linux), if any. */
    public static OptionalLong holder(Path file) {
        try {
            long ino = ((Number) Files.getAttribute(file, "unix:ino")).longValue();
            long dev = ((Number) Files.getAttribute(file, "unix:dev")).longValue();
            long major = ((dev >>> 8) & 0xfff) | ((dev >>> 32) & ~0xfffL);
            long minor = (dev & 0xff) | ((dev >>> 12) & ~0xffL);
            List<String> lines = Files.readAllLines(Path.of("/proc/locks"));
            for (String line : lines) {
                // "1: POSIX  ADVISORY  WRITE 1234 00:1f:5678 0 EOF"; blocked waiters are marked "->"
                String[] f = line.trim().split("\\s+");
                if (f.length < 6 || f[1].equals("->")) continue;
                String[] id = f[5].split(":");
                if (id.length != 3) continue;
                try {
                    if (Long.parseLong(id[2]) == ino && Long.parseLong(id[0], 16) == major && Long.parseLong(id[1], 16) == minor) {
                        return OptionalLong.of(Long.parseLong(f[4]));
                    }
                } catch (NumberFormatException e) {
                    // a line of another shape: skip
                }
            }
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException | ClassCastException e) {
            // not Linux, or the file went away: no name to give
        }
        return OptionalLong.empty();
    }

    /** " (strata mount ...)" from the process's command line, shortened; or "". */
    private static String describe(long pid) {
        return ProcessHandle.of(pid).flatMap(p -> p.info().commandLine()).map(c -> {
            int i = c.indexOf("io.strata.cli.Main ");
            String s = i >= 0 ? "strata " + c.substring(i + "io.strata.cli.Main ".length()) : c;
            return " (" + (s.length() > 120 ? s.substring(0, 117) + "..." : s) + ")";
        }).orElse("");
    }
}
