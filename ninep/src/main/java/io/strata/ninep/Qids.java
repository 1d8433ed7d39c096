package io.strata.ninep;

import io.strata.core.Attr;
import io.strata.core.FileType;
import io.strata.ninep.wire.P9;
import io.strata.ninep.wire.Qid;
import io.strata.ninep.wire.Stat;

/**
 * SPI attributes in 9P form. qid.path is the SPI inode number (unique within one exported file
 * system); qid.type follows the mode; qid.version is the low 32 bits of the data version when the
 * backend reports one (a change cookie clients may use to revalidate caches), else 0 (meaning
 * "no version": clients must not cache by it).
 */
final class Qids {
    private Qids() {}

    static int type(int mode) {
        return switch (mode & FileType.S_IFMT) {
            case FileType.S_IFDIR -> P9.QTDIR;
            case FileType.S_IFLNK -> P9.QTSYMLINK;
            default -> P9.QTFILE;
        };
    }

    static Qid of(Attr a) {
        return new Qid(type(a.mode()), a.has(Attr.DATA_VERSION) ? (int) a.dataVersion() : 0, a.ino());
    }

    /** For readdir entries, where only the d_type is known. */
    static Qid ofDtype(int dtype, long ino) {
        int t = dtype == FileType.DT_DIR ? P9.QTDIR : dtype == FileType.DT_LNK ? P9.QTSYMLINK : P9.QTFILE;
        return new Qid(t, 0, ino);
    }

    /** The Rgetattr valid mask for these attributes. */
    static long valid(Attr a) {
        long v = P9.GETATTR_BASIC;
        if (a.has(Attr.BTIME)) v |= P9.GETATTR_BTIME;
        if (a.has(Attr.DATA_VERSION)) v |= P9.GETATTR_DATA_VERSION;
        return v;
    }

    static Stat stat(Attr a) {
        return new Stat(a.mode(), a.uid(), a.gid(), Integer.toUnsignedLong(a.nlink()), Integer.toUnsignedLong(a.rdev()),
                a.size(), a.blksize(), a.blocks(), sec(a.atimeNs()), nsec(a.atimeNs()), sec(a.mtimeNs()),
                nsec(a.mtimeNs()), sec(a.ctimeNs()), nsec(a.ctimeNs()), a.has(Attr.BTIME) ? sec(a.btimeNs()) : 0,
                a.has(Attr.BTIME) ? nsec(a.btimeNs()) : 0, 0, a.has(Attr.DATA_VERSION) ? a.dataVersion() : 0);
    }

    static long sec(long ns) {
        return Math.floorDiv(ns, 1_000_000_000L);
    }

    static long nsec(long ns) {
        return Math.floorMod(ns, 1_000_000_000L);
    }
}
