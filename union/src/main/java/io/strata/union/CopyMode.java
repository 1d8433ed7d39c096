package io.strata.union;

import java.util.Locale;

/**
 * Owner and mode of objects copied up into the upper layer (FreeBSD unionfs' three copy modes).
 * Only {@link #TRANSPARENT} is implemented in this slice; {@link UnionFileSystem#open} refuses the
 * others with an IllegalArgumentException that says so.
 */
public enum CopyMode {
    /** Mounter's uid/gid, 0777/0666 minus the umask. Not implemented yet. */
    TRADITIONAL,
    /** Keep the lower owner, group and mode (the default; what kernel overlayfs does). */
    TRANSPARENT,
    /** Fixed uid/gid/modes from mount options. Not implemented yet. */
    MASQUERADE;

    public static CopyMode parse(String s) {
        try {
            return valueOf(s.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown copy mode '" + s
                    + "' (expected traditional, transparent or masquerade)");
        }
    }
}
