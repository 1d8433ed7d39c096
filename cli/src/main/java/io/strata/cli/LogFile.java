package io.strata.cli;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Creating the daemon's log file without ever writing through someone else's link: an existing
 * symlink, non-regular file or file of another user at the path is refused; an old log of ours is
 * removed (never truncated: it could be a hard link to a file we must not touch) and the file is
 * made anew with O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600.
 */
final class LogFile {
    private LogFile() {}

    /** A refusal, worded for the user. */
    static final class UnsafeLogException extends IOException {
        UnsafeLogException(String message) {
            super(message);
        }
    }

    static void create(Path log, int uid) throws IOException {
        Path dir = log.toAbsolutePath().getParent();
        if (dir != null) {
            int mode = (Integer) Files.getAttribute(dir, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            // Without the sticky bit anyone who may write in the directory may swap our file for a
            // link between our create and the daemon's open.
            if ((mode & 0002) != 0 && (mode & 01000) == 0) {
                throw new UnsafeLogException("refusing to put the log in " + dir
                        + ": every user may replace files there (world-writable, not sticky); choose another --log");
            }
        }
        if (Files.exists(log, LinkOption.NOFOLLOW_LINKS)) {
            if (Files.isSymbolicLink(log)) {
                throw new UnsafeLogException("refusing to write the log to " + log + ": it is a symbolic link (to "
                        + Files.readSymbolicLink(log) + "), possibly planted to make strata overwrite that file; "
                        + "remove it or choose another --log");
            }
            if (!Files.isRegularFile(log, LinkOption.NOFOLLOW_LINKS)) {
                throw new UnsafeLogException("refusing to write the log to " + log + ": not a regular file");
            }
            int owner = (Integer) Files.getAttribute(log, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            if (owner != uid) {
                throw new UnsafeLogException("refusing to write the log to " + log + ": it belongs to uid " + owner
                        + ", not to uid " + uid + "; remove it or choose another --log");
            }
            try {
                Files.delete(log);
            } catch (NoSuchFileException gone) {
                // removed meanwhile: CREATE_NEW below decides
            }
        }
        try (FileChannel ch = FileChannel.open(log, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                LinkOption.NOFOLLOW_LINKS), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
            // created empty; the daemon appends to it
        } catch (FileAlreadyExistsException e) {
            throw new UnsafeLogException("refusing to write the log to " + log
                    + ": something else created it at the same moment; try again or choose another --log");
        }
    }
}
