package io.strata.ext2;

import java.util.ArrayList;
import java.util.List;

/**
 * Feature words of the superblock and what this driver makes of them. The rules follow the kernel's
 * fs/ext2: an unknown INCOMPAT feature means we cannot even read the layout correctly, so we refuse;
 * an unknown RO_COMPAT feature means reading is safe but writing could break invariants we do not
 * know, so we mount read-only; unknown COMPAT features are ignored.
 */
public final class Features {
    private Features() {}

    // COMPAT
    public static final int COMPAT_DIR_PREALLOC = 0x1, COMPAT_IMAGIC_INODES = 0x2, COMPAT_HAS_JOURNAL = 0x4,
            COMPAT_EXT_ATTR = 0x8, COMPAT_RESIZE_INODE = 0x10, COMPAT_DIR_INDEX = 0x20;
    // INCOMPAT
    public static final int INCOMPAT_COMPRESSION = 0x1, INCOMPAT_FILETYPE = 0x2, INCOMPAT_RECOVER = 0x4,
            INCOMPAT_JOURNAL_DEV = 0x8, INCOMPAT_META_BG = 0x10, INCOMPAT_EXTENTS = 0x40, INCOMPAT_64BIT = 0x80,
            INCOMPAT_MMP = 0x100, INCOMPAT_FLEX_BG = 0x200, INCOMPAT_EA_INODE = 0x400, INCOMPAT_DIRDATA = 0x1000,
            INCOMPAT_CSUM_SEED = 0x2000, INCOMPAT_LARGEDIR = 0x4000, INCOMPAT_INLINE_DATA = 0x8000,
            INCOMPAT_ENCRYPT = 0x10000, INCOMPAT_CASEFOLD = 0x20000;
    // RO_COMPAT
    public static final int RO_COMPAT_SPARSE_SUPER = 0x1, RO_COMPAT_LARGE_FILE = 0x2, RO_COMPAT_BTREE_DIR = 0x4,
            RO_COMPAT_HUGE_FILE = 0x8, RO_COMPAT_GDT_CSUM = 0x10, RO_COMPAT_DIR_NLINK = 0x20,
            RO_COMPAT_EXTRA_ISIZE = 0x40, RO_COMPAT_QUOTA = 0x100, RO_COMPAT_BIGALLOC = 0x200,
            RO_COMPAT_METADATA_CSUM = 0x400;

    /** What the kernel ext2 driver (and this one) understands. */
    public static final int SUPPORTED_INCOMPAT = INCOMPAT_FILETYPE | INCOMPAT_META_BG;
    public static final int SUPPORTED_RO_COMPAT = RO_COMPAT_SPARSE_SUPER | RO_COMPAT_LARGE_FILE | RO_COMPAT_BTREE_DIR;

    private static final String[] INCOMPAT_NAMES = {"compression", "filetype", "needs_recovery", "journal_dev",
            "meta_bg", "0x20", "extents", "64bit", "mmp", "flex_bg", "ea_inode", "0x800", "dirdata",
            "metadata_csum_seed", "large_dir", "inline_data", "encrypt", "casefold"};
    private static final String[] RO_COMPAT_NAMES = {"sparse_super", "large_file", "btree_dir", "huge_file",
            "uninit_bg", "dir_nlink", "extra_isize", "0x80", "quota", "bigalloc", "metadata_csum", "replica",
            "read-only", "project", "shared_blocks", "verity"};

    public static List<String> incompatNames(int bits) {
        return names(bits, INCOMPAT_NAMES);
    }

    public static List<String> roCompatNames(int bits) {
        return names(bits, RO_COMPAT_NAMES);
    }

    private static List<String> names(int bits, String[] table) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < 32; i++) {
            if ((bits & (1 << i)) != 0) out.add(i < table.length ? table[i] : String.format("0x%x", 1 << i));
        }
        return out;
    }
}
