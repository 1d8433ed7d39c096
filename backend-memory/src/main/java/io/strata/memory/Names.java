package io.strata.memory;

import io.strata.core.FsException;
import io.strata.core.Errno;
import java.nio.charset.StandardCharsets;

/** Validation and encoding of file names (one path component, at most 255 bytes of UTF-8). */
final class Names {
    private Names() {}

    static final int NAME_MAX = 255;
    /** Symlink targets, like Linux: at most a page including the terminating NUL. */
    static final int SYMLINK_MAX = 4095;

    /** The UTF-8 bytes of a name that may be created or looked up; "." and ".." pass through. */
    static byte[] encode(String name) throws FsException {
        if (name == null || name.isEmpty()) throw FsException.of(Errno.ENOENT);
        if (name.length() > NAME_MAX) throw FsException.of(Errno.ENAMETOOLONG); // >= 1 byte per char
        byte[] b = name.getBytes(StandardCharsets.UTF_8);
        if (b.length > NAME_MAX) throw FsException.of(Errno.ENAMETOOLONG);
        for (byte x : b) if (x == '/' || x == 0) throw FsException.of(Errno.EINVAL);
        return b;
    }

    static boolean isDot(String name) {
        return name.equals(".");
    }

    static boolean isDotDot(String name) {
        return name.equals("..");
    }

    static boolean isDotOrDotDot(String name) {
        return isDot(name) || isDotDot(name);
    }

    static int utf8Length(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch < 0x80) n++;
            else if (ch < 0x800) n += 2;
            else if (Character.isHighSurrogate(ch)) { n += 4; i++; }
            else n += 3;
        }
        return n;
    }
}
