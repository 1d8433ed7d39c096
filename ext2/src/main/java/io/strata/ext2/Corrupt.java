package io.strata.ext2;

import io.strata.core.FsException;
import io.strata.core.Errno;

/**
 * Corrupt metadata: one log line naming what is wrong (inode, block) and an EIO for the caller. We
 * never "repair" on the fly; that is e2fsck's job.
 */
final class Corrupt {
    private static final System.Logger LOG = System.getLogger("io.strata.ext2");

    private Corrupt() {}

    static FsException eio(String what) {
        LOG.log(System.Logger.Level.WARNING, "ext2: corrupt metadata: " + what);
        return new FsException(Errno.EIO, "corrupt ext2 metadata: " + what);
    }
}
