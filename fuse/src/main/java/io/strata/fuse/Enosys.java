package io.strata.fuse;

import io.strata.core.Errno;
import io.strata.core.Feature;
import java.util.Set;

/**
 * What to answer when serving a request failed with ENOSYS. The kernel remembers ENOSYS for many
 * opcodes (OPEN, OPENDIR, FLUSH, FSYNC, ACCESS, CREATE, xattrs, FALLOCATE, LSEEK, COPY_FILE_RANGE,
 * RENAME2, TMPFILE, STATX...) and never sends them again on that mount, and for some it then
 * pretends success (FSYNC, FLUSH, ACCESS) or changes how it works (no OPEN at all). One layer of a
 * stack lacking an operation for one file must not switch it off for the whole mount, so ENOSYS
 * reaches the kernel only when {@link io.strata.core.FileSystem#features()} says the whole stack
 * lacks the operation, or when this frontend does not implement the opcode at all.
 */
final class Enosys {
    private final Set<Feature> features;

    Enosys(Set<Feature> features) {
        this.features = features;
    }

    /** The errno to reply instead of a backend's ENOSYS for {@code opcode}. */
    int answer(int opcode) {
        return switch (opcode) {
            case Opcode.FALLOCATE -> lacks(Feature.FALLOCATE, Feature.PUNCH_HOLE) ? Errno.ENOSYS : Errno.EOPNOTSUPP;
            case Opcode.COPY_FILE_RANGE -> lacks(Feature.COPY_FILE_RANGE) ? Errno.ENOSYS : Errno.EOPNOTSUPP;
            case Opcode.TMPFILE -> lacks(Feature.TMPFILE) ? Errno.ENOSYS : Errno.EOPNOTSUPP;
            case Opcode.LSEEK -> lacks(Feature.SEEK_DATA) ? Errno.ENOSYS : Errno.EOPNOTSUPP; // see Dispatcher: fallback
            // rename(2) reports flags a file system does not support as EINVAL
            case Opcode.RENAME2 -> lacks(Feature.RENAME_NOREPLACE, Feature.RENAME_EXCHANGE, Feature.RENAME_WHITEOUT)
                    ? Errno.ENOSYS : Errno.EINVAL;
            case Opcode.SETXATTR, Opcode.GETXATTR, Opcode.LISTXATTR, Opcode.REMOVEXATTR ->
                    lacks(Feature.USER_XATTRS, Feature.TRUSTED_XATTRS, Feature.SECURITY_XATTRS) ? Errno.ENOSYS : Errno.EOPNOTSUPP;
            // the kernel turns ENOSYS into ENOTTY itself; say it directly
            case Opcode.IOCTL -> Errno.ENOTTY;
            // the frontend's own choice (Dispatcher answers STATX only for BTIME/VERITY backends)
            case Opcode.STATX -> Errno.ENOSYS;
            default -> Dispatcher.serves(opcode) ? Errno.EOPNOTSUPP : Errno.ENOSYS;
        };
    }

    /** True if the stack has none of {@code fs}. */
    boolean lacks(Feature... fs) {
        for (Feature f : fs) if (features.contains(f)) return false;
        return true;
    }
}
