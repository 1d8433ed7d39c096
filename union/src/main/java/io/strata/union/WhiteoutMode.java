package io.strata.union;

import java.util.Locale;

/**
 * When removing a name leaves a whiteout (FreeBSD unionfs {@code whiteout=}). {@link #WHENNEEDED}
 * (the default, kernel overlayfs' behaviour) only when some lower layer still has the name;
 * {@link #ALWAYS} after every removal.
 */
public enum WhiteoutMode {
    ALWAYS, WHENNEEDED;

    public static WhiteoutMode parse(String s) {
        try {
            return valueOf(s.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown whiteout mode '" + s + "' (expected always or whenneeded)");
        }
    }
}
