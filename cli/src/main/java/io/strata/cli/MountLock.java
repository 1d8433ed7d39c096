package io.strata.cli;

import io.strata.core.HostLocks;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One strata mount per mount point at a time: the daemon holds a lock on a file named after the
 * mount point in its private runtime directory from before the mount until it exits. Two
 * {@code strata mount} on one directory at the same moment would otherwise both pass the "already
 * a FUSE mount" check and stack two mounts. The lock dies with the process, so a crash leaves
 * nothing to clean up.
 */
final class MountLock {
    private MountLock() {}

    /** The lock file's name for a mount point, beside its log. */
    static String fileName(Path mnt) {
        return mnt.toString().replace('/', '_') + ".lock";
    }

    /** Held for the rest of the process: the channel must stay reachable (its cleaner would close it). */
    private static final java.util.List<FileLock> HELD = new java.util.ArrayList<>();

    /**
     * Whether process {@code pid} holds the lock of {@code mnt}: true also when the holder cannot
     * be told (no /proc/locks), so the caller then falls back to seeing the mount alone.
     */
    static boolean heldBy(Path mnt, long pid) {
        try {
            var holder = HostLocks.holder(RuntimeDir.forThisProcess().choose().resolve(fileName(mnt)));
            return holder.isEmpty() || holder.getAsLong() == pid;
        } catch (IOException e) {
            return true;
        }
    }

    static void take(Path mnt) throws IOException {
        Path file = RuntimeDir.forThisProcess().choose().resolve(fileName(mnt));
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                java.nio.file.LinkOption.NOFOLLOW_LINKS);
        try {
            FileLock l = HostLocks.lockExclusive(ch, file, "mount point " + mnt);
            synchronized (HELD) {
                HELD.add(l);
            }
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }
}
