package io.strata.core;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * An extended-attribute name as bytes ("user.mime_type", "trusted.overlay.opaque"). Validated as
 * the kernel does: 1 to {@value #MAX} bytes, no NUL ('/' is allowed, unlike in a {@link Name}).
 * The namespace decides who may read and change it (see {@link Access#checkXattr}).
 */
public final class XattrName {
    public static final int MAX = 255;

    public enum Namespace { USER, TRUSTED, SECURITY, SYSTEM, OTHER }

    private final byte[] bytes;
    private final Namespace namespace;

    private XattrName(byte[] bytes) {
        this.bytes = bytes;
        this.namespace = startsWith(bytes, "user.") ? Namespace.USER
                : startsWith(bytes, "trusted.") ? Namespace.TRUSTED
                : startsWith(bytes, "security.") ? Namespace.SECURITY
                : startsWith(bytes, "system.") ? Namespace.SYSTEM : Namespace.OTHER;
    }

    /** Empty or too long: ERANGE (as setxattr(2)); NUL inside: EINVAL. */
    public static XattrName of(byte[] b) throws FsException {
        if (b.length == 0 || b.length > MAX) throw FsException.of(Errno.ERANGE);
        for (byte x : b) if (x == 0) throw FsException.of(Errno.EINVAL);
        return new XattrName(b.clone());
    }

    public static XattrName of(String s) {
        try {
            return of(s.getBytes(StandardCharsets.UTF_8));
        } catch (FsException e) {
            throw new IllegalArgumentException("not a valid xattr name: '" + s + "'");
        }
    }

    private static boolean startsWith(byte[] b, String p) {
        if (b.length < p.length()) return false;
        for (int i = 0; i < p.length(); i++) if (b[i] != (byte) p.charAt(i)) return false;
        return true;
    }

    public Namespace namespace() {
        return namespace;
    }

    public boolean startsWith(String prefix) {
        return startsWith(bytes, prefix);
    }

    public int length() {
        return bytes.length;
    }

    public byte[] bytes() {
        return bytes.clone();
    }

    public void copyTo(byte[] dst, int off) {
        System.arraycopy(bytes, 0, dst, off, bytes.length);
    }

    @Override
    public String toString() {
        return Bytes.display(bytes);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof XattrName n && Arrays.equals(bytes, n.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }
}
