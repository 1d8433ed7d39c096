package io.strata.core;

/**
 * The answer to a name: which inode (id + generation), its attributes and how long the caller may
 * cache the name and the attributes. Every Entry a file system hands out from lookup, walk,
 * readdirplus, create, mkdir, mknod, symlink, link or tmpfile counts as one lookup reference on
 * that inode, released by {@link FileSystem#forget}.
 *
 * <p>A <em>negative</em> entry ({@code ino == 0}, no attributes) says "no such name, and you may
 * remember that for {@code entryTimeoutNs}"; it carries no reference. Frontends make them from
 * ENOENT and the backend's {@link CachePolicy#negativeTimeoutNs()}.
 */
public record Entry(long ino, long generation, Attr attr, long entryTimeoutNs, long attrTimeoutNs) {
    public static Entry negative(long timeoutNs) {
        return new Entry(0, 0, null, timeoutNs, 0);
    }

    public boolean isNegative() {
        return ino == 0;
    }
}
