package io.strata.core;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One directory-entry name as the bytes it is stored as. Host file names are byte strings, not
 * text: decoding them (as the first SPI did with UTF-8) merges distinct names such as {@code 0xE9}
 * and {@code 0xFF} into one U+FFFD. A Name is validated once, when it is made: one path component,
 * 1 to {@value #MAX} bytes, no {@code '/'} and no NUL. "." and ".." are valid Names; operations that
 * create or remove entries refuse them (see {@link #isDotOrDotDot()}).
 *
 * <p>Immutable; the byte array is never shared with callers.
 */
public final class Name implements Comparable<Name> {
    /** NAME_MAX of Linux and of every on-disk format Strata reads. */
    public static final int MAX = 255;

    public static final Name DOT = new Name(new byte[] {'.'});
    public static final Name DOTDOT = new Name(new byte[] {'.', '.'});

    private final byte[] bytes;
    private int hash; // 0: not computed yet (a racy cache, as in String)

    private Name(byte[] bytes) {
        this.bytes = bytes;
    }

    /**
     * A name from bytes (copied). Empty: ENOENT (as the kernel answers an empty path); longer than
     * {@value #MAX}: ENAMETOOLONG; containing '/' or NUL: EINVAL.
     */
    public static Name of(byte[] bytes) throws FsException {
        return of(bytes, 0, bytes.length);
    }

    public static Name of(byte[] bytes, int off, int len) throws FsException {
        check(bytes, off, len);
        return interned(Arrays.copyOfRange(bytes, off, off + len));
    }

    /** Takes ownership of {@code bytes} (the caller must not change them afterwards). */
    public static Name wrap(byte[] bytes) throws FsException {
        check(bytes, 0, bytes.length);
        return interned(bytes);
    }

    /** "." and ".." are always the same objects, so {@link #isDot()} can compare identity. */
    private static Name interned(byte[] b) {
        if (b.length == 1 && b[0] == '.') return DOT;
        if (b.length == 2 && b[0] == '.' && b[1] == '.') return DOTDOT;
        return new Name(b);
    }

    /** The UTF-8 encoding of {@code s}: for names typed by people (CLI, tests, nio with UTF-8). */
    public static Name utf8(String s) throws FsException {
        return wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    /** Like {@link #utf8} but for names known to be valid (constants, test fixtures). */
    public static Name of(String s) {
        try {
            return utf8(s);
        } catch (FsException e) {
            throw new IllegalArgumentException("not a valid name: '" + s + "' (" + e.getMessage() + ")");
        }
    }

    private static void check(byte[] b, int off, int len) throws FsException {
        if (len == 0) throw new FsException(Errno.ENOENT, "empty name");
        if (len > MAX) throw FsException.of(Errno.ENAMETOOLONG);
        for (int i = off, end = off + len; i < end; i++) {
            byte x = b[i];
            if (x == '/' || x == 0) throw new FsException(Errno.EINVAL, "name contains '/' or NUL");
        }
    }

    public int length() {
        return bytes.length;
    }

    public byte byteAt(int i) {
        return bytes[i];
    }

    /** A copy of the bytes. */
    public byte[] bytes() {
        return bytes.clone();
    }

    /** Copies the bytes into {@code dst} at {@code off}. */
    public void copyTo(byte[] dst, int off) {
        System.arraycopy(bytes, 0, dst, off, bytes.length);
    }

    /** Puts the bytes at {@code dst}'s position and advances it. */
    public void putTo(ByteBuffer dst) {
        dst.put(bytes);
    }

    public boolean isDot() {
        return this == DOT;
    }

    public boolean isDotDot() {
        return this == DOTDOT;
    }

    public boolean isDotOrDotDot() {
        return this == DOT || this == DOTDOT;
    }

    /** True if the name starts with the ASCII {@code prefix} (whiteouts: ".wh."). */
    public boolean startsWith(String prefix) {
        if (prefix.length() > bytes.length) return false;
        for (int i = 0; i < prefix.length(); i++) if (bytes[i] != (byte) prefix.charAt(i)) return false;
        return true;
    }

    /**
     * For logs and messages only: UTF-8 where valid, other bytes as {@code \xNN}. Never use the
     * result to look a file up again.
     */
    @Override
    public String toString() {
        return Bytes.display(bytes);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Name n && (n == this || Arrays.equals(bytes, n.bytes));
    }

    @Override
    public int hashCode() {
        int h = hash;
        if (h == 0) {
            h = Arrays.hashCode(bytes);
            if (h == 0) h = 1;
            hash = h;
        }
        return h;
    }

    /** Unsigned byte order, as the kernel and on-disk formats compare names. */
    @Override
    public int compareTo(Name o) {
        return Arrays.compareUnsigned(bytes, o.bytes);
    }

    /** Same bytes as {@code b[off, off+len)}, without allocating (directory scans). */
    public boolean equalsBytes(byte[] b, int off, int len) {
        return len == bytes.length && Arrays.equals(bytes, 0, len, b, off, off + len);
    }
}
