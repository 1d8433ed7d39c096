package io.strata.union;

import io.strata.core.Attr;
import io.strata.core.FsException;
import io.strata.core.Name;
import io.strata.core.XattrName;

/**
 * The kernel overlayfs on-disk format (Documentation/filesystems/overlayfs.rst), plus the OCI
 * forms read in lower layers:
 * <ul>
 * <li>whiteout: a character device 0/0; or a zero-size regular file with {@code <ns>whiteout} in a
 * directory whose {@code <ns>opaque} is "x" ("may hold xattr whiteouts", not itself opaque);</li>
 * <li>opaque directory: {@code <ns>opaque} = "y" (lower layers below it are not merged);</li>
 * <li>OCI / AUFS (lower layers only): a file {@code .wh.NAME} whites out NAME, a file
 * {@code .wh..wh..opq} makes its directory opaque; the {@code .wh.*} names themselves are hidden.</li>
 * </ul>
 * {@code <ns>} is {@code trusted.overlay.} or, with userxattr, {@code user.overlay.}.
 */
final class OverlayFormat {
    static final String OCI_PREFIX = ".wh.";
    static final Name OCI_OPAQUE = Name.of(".wh..wh..opq");

    final XattrName opaque, whiteout, redirect, origin;
    private final String prefix;

    OverlayFormat(XattrNamespace ns) {
        prefix = ns.prefix();
        opaque = XattrName.of(prefix + "opaque");
        whiteout = XattrName.of(prefix + "whiteout");
        redirect = XattrName.of(prefix + "redirect");
        origin = XattrName.of(prefix + "origin");
    }

    /** The overlay's own xattrs, hidden from users of the union (as the kernel hides them). */
    boolean isPrivate(XattrName name) {
        return name.startsWith(prefix) || name.startsWith(XattrNamespace.TRUSTED.prefix())
                || name.startsWith(XattrNamespace.USER.prefix());
    }

    static boolean isOciName(Name n) {
        return n.startsWith(OCI_PREFIX);
    }

    /** {@code .wh.NAME}, or null if that is longer than a name may be. */
    static Name ociWhiteoutFor(Name n) {
        if (n.length() + OCI_PREFIX.length() > Name.MAX) return null;
        byte[] b = new byte[n.length() + OCI_PREFIX.length()];
        for (int i = 0; i < OCI_PREFIX.length(); i++) b[i] = (byte) OCI_PREFIX.charAt(i);
        n.copyTo(b, OCI_PREFIX.length());
        try {
            return Name.wrap(b);
        } catch (FsException e) {
            return null;
        }
    }

    /** NAME of {@code .wh.NAME}, or null for other names and for the opaque marker. */
    static Name ociTarget(Name n) {
        if (!isOciName(n) || n.equals(OCI_OPAQUE) || n.length() == OCI_PREFIX.length()) return null;
        byte[] b = n.bytes();
        try {
            return Name.of(b, OCI_PREFIX.length(), b.length - OCI_PREFIX.length());
        } catch (FsException e) {
            return null;
        }
    }

    static boolean isY(byte[] v) {
        return v != null && v.length == 1 && (v[0] == 'y' || v[0] == 'Y');
    }

    static boolean isX(byte[] v) {
        return v != null && v.length == 1 && (v[0] == 'x' || v[0] == 'X');
    }

    /**
     * Is the object {@code a} (entry {@code ino} of {@code layer}) a whiteout? {@code xattrWhiteouts}:
     * its directory is marked "x", so zero-size files must be checked for the whiteout xattr.
     */
    boolean isWhiteout(Layer layer, long ino, Attr a, boolean xattrWhiteouts) throws FsException {
        if (Layer.isCharWhiteout(a)) return true;
        return xattrWhiteouts && a.isRegular() && a.size() == 0 && layer.xattr(ino, whiteout) != null;
    }
}
