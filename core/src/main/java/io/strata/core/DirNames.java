package io.strata.core;

import java.util.ArrayList;
import java.util.List;

/**
 * Every name in a directory, read the way a frontend reads it: opendir, readdir from each batch's
 * last cookie until a batch adds nothing, releasedir. For tools and frontends that want the whole
 * listing at once (sealing a tree, sweeping a store, a java.nio directory stream).
 */
public final class DirNames {
    private DirNames() {}

    /** The names in directory {@code ino}, "." and ".." left out, in the backend's order. */
    public static List<Name> read(FileSystem fs, Caller c, long ino) throws FsException {
        List<Name> names = new ArrayList<>();
        Opened d = fs.opendir(c, ino, OpenFlags.O_RDONLY);
        try {
            long[] cookie = {0};
            int before;
            do {
                before = names.size();
                fs.readdir(c, ino, d.fh(), cookie[0], (name, child, type, next) -> {
                    if (!name.isDotOrDotDot()) names.add(name);
                    cookie[0] = next;
                    return true;
                });
            } while (names.size() > before);
        } finally {
            fs.releasedir(ino, d.fh());
        }
        return names;
    }
}
