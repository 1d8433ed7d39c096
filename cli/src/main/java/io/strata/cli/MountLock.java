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

    /**
     * Takes the lock of {@code mnt} and writes {@code info} (what {@code strata list} shows, as
     * {@code key=value} lines) into the lock file: whoever holds the lock wrote it, so a reader
     * that sees the holder's pid in it knows the description is current.
     */
    static void take(Path mnt, MountInfo info) throws IOException {
        Path file = RuntimeDir.forThisProcess().choose().resolve(fileName(mnt));
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                java.nio.file.LinkOption.NOFOLLOW_LINKS);
        try {
            FileLock l = HostLocks.lockExclusive(ch, file, "mount point " + mnt);
            synchronized (HELD) {
                HELD.add(l);
            }
            write(ch, info);
            synchronized (HELD) {
                DESCRIBED.put(mnt, ch);
            }
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** Channels of the locks this process holds, by mount point, for {@link #describe}. */
    private static final java.util.Map<Path, FileChannel> DESCRIBED = new java.util.HashMap<>();

    /** Replaces what the lock file of {@code mnt}, held by this process, says about the mount. */
    static void describe(Path mnt, MountInfo info) throws IOException {
        FileChannel ch;
        synchronized (HELD) {
            ch = DESCRIBED.get(mnt);
        }
        if (ch != null) write(ch, info);
    }

    private static void write(FileChannel ch, MountInfo info) throws IOException {
        byte[] b = info.encode().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        ch.write(java.nio.ByteBuffer.wrap(b), 0);
        ch.truncate(b.length);
    }

    /** The pid holding the lock of {@code mnt} (for this user's runtime dir), if one does. */
    static java.util.OptionalLong holder(Path mnt) {
        try {
            return HostLocks.holder(RuntimeDir.forThisProcess().choose().resolve(fileName(mnt)));
        } catch (IOException e) {
            return java.util.OptionalLong.empty();
        }
    }

    /** What the holder of {@code mnt}'s lock wrote about itself, if it is alive and readable here. */
    static java.util.Optional<MountInfo> info(Path mnt) {
        try {
            Path file = RuntimeDir.forThisProcess().choose().resolve(fileName(mnt));
            var holder = HostLocks.holder(file);
            if (holder.isEmpty()) return java.util.Optional.empty();
            MountInfo info = MountInfo.decode(java.nio.file.Files.readString(file));
            return info.pid() == holder.getAsLong() ? java.util.Optional.of(info) : java.util.Optional.empty();
        } catch (IOException | RuntimeException e) {
            return java.util.Optional.empty();
        }
    }
}
