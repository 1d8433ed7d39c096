package io.strata.union;

import io.strata.core.Errno;
import io.strata.core.FsException;
import io.strata.core.Name;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * A parsed {@code <ns>redirect} value (kernel overlayfs redirect_dir): {@code "/a/b"} is a path
 * from every lower layer's root; {@code "b"} is a name in the same parent's lower directories
 * (a rename within one directory). As the kernel (ovl_get_redirect_xattr), an absolute value
 * must not contain empty components and a relative one must not contain '/'; other values are
 * EINVAL for the lookup that meets them. "." and ".." components are refused too.
 */
record Redirect(boolean absolute, List<Name> path) {
    /** The kernel's default redirect_max: longer redirects are not written (EXDEV, mv copies). */
    static final int MAX = 256;

    Redirect {
        path = List.copyOf(path);
    }

    static Redirect parse(byte[] v) throws FsException {
        if (v.length == 0) throw new FsException(Errno.EINVAL, "empty overlay redirect");
        List<Name> out = new ArrayList<>();
        if (v[0] != '/') {
            out.add(component(v, 0, v.length));
            return new Redirect(false, out);
        }
        int i = 1;
        while (true) {
            int j = i;
            while (j < v.length && v[j] != '/') j++;
            out.add(component(v, i, j - i));
            if (j == v.length) return new Redirect(true, out);
            i = j + 1;
        }
    }

    private static Name component(byte[] v, int off, int len) throws FsException {
        try {
            Name n = Name.of(v, off, len);
            if (n.isDotOrDotDot()) throw FsException.of(Errno.EINVAL);
            return n;
        } catch (FsException e) {
            throw new FsException(Errno.EINVAL, "invalid overlay redirect '" + new String(v) + "'");
        }
    }

    /** The absolute value for {@code components} ("/a/b"). */
    static byte[] absolute(List<byte[]> components) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (byte[] c : components) {
            b.write('/');
            b.writeBytes(c);
        }
        return b.toByteArray();
    }

    static boolean isAbsolute(byte[] v) {
        return v != null && v.length > 0 && v[0] == '/';
    }
}
