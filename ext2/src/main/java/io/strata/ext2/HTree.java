package io.strata.ext2;

import io.strata.core.Errno;
import io.strata.core.FsException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * The htree index of a directory (dir_index; the layout ext3/ext4 and e2fsprogs use, read and kept
 * here instead of being cleared as the kernel's ext2 does).
 *
 * <p>Layout. Logical block 0 is the root: "." (rec_len 12), ".." (rec_len covering the rest, so a
 * linear reader sees an ordinary block), then at byte 24 dx_root_info {reserved_zero u32,
 * hash_version u8, info_length u8 = 8, indirect_levels u8, flags u8} and at byte 32 the entries.
 * An interior node block starts with one empty record (inode 0, rec_len = block size) and has its
 * entries at byte 8. Entries are {hash u32, block u32}; entry 0's hash field holds {limit u16,
 * count u16} and its hash is implicitly 0. Entries are sorted by hash; entry i covers hashes from
 * its own up to the next entry's. Bit 0 of an entry's hash says the block continues a run of equal
 * hashes from the previous block (a split inside a collision run), so a lookup that misses at the
 * end of a block goes on to the next while the next entry's hash (bit 0 cleared) equals its own.
 * Leaves are ordinary directory blocks. Depth: root alone ({@code indirect_levels} 0) or root plus
 * one level of nodes (1); without largedir the kernel and e2fsck allow no more.
 *
 * <p>Growth (as ext4's dx_add_entry): a full leaf is split at half its bytes in hash order and the
 * new leaf's entry inserted after the old one; a full node is split in two and the half inserted in
 * the root; a full root (depth 0) moves its entries to a new node and becomes its parent. When the
 * root is full at depth 1 the directory is full: ENOSPC (about 500 x 511 leaves with 4 KiB blocks).
 * Removal only clears the record; blocks are never merged, as in ext4.
 *
 * <p>Readdir runs in hash order: position {@code 2^62 | (major>>1) << 31 | (minor>>1)}, so a cookie
 * names a point in hash space, not a block: splits move names between blocks but never change their
 * position, and a listing interleaved with creates and deletes returns every survivor once (two
 * names with equal 62-bit positions split across two replies would lose the second; ext4 has the
 * same limit).
 *
 * <p>All methods run under the directory inode's lock (shared for find and list, exclusive for
 * add and index). Index blocks are read from the pinned cached buffer in place.
 */
final class HTree {
    private static final System.Logger LOG = System.getLogger(HTree.class.getName());
    static final long HASH_POS = 1L << 62;
    private static final int ROOT_BASE = 32, NODE_BASE = 8;

    private final Directory d;
    private final int bs;
    private final int rootLimit, nodeLimit;
    private final int[] seed;
    private final boolean unsignedChars;

    HTree(Directory d) {
        this.d = d;
        this.bs = d.bs;
        this.rootLimit = (bs - ROOT_BASE) / 8;
        this.nodeLimit = (bs - NODE_BASE) / 8;
        this.seed = d.sb.hashSeed();
        // as the kernel: unsigned only when the superblock says so (x86 images say signed or nothing)
        this.unsignedChars = (d.sb.flags() & Superblock.FLAGS_UNSIGNED_HASH) != 0;
    }

    /** One index block on the way from the root to a leaf. */
    private static final class Frame {
        final long lblk, pblk;
        final int base, limit;
        int count, at;

        Frame(long lblk, long pblk, int base, int limit, int count) {
            this.lblk = lblk;
            this.pblk = pblk;
            this.base = base;
            this.limit = limit;
            this.count = count;
        }
    }

    /** Root info plus the frames of one probe; {@code leaf} is the logical leaf block reached. */
    private static final class Path {
        int version, levels;
        final Frame[] frames = new Frame[2];
        long leaf;

        Frame deepest() {
            return frames[levels];
        }
    }

    private FsException corrupt(Ext2Inode dir, String what) {
        return Corrupt.eio("htree directory inode " + dir.number + ": " + what);
    }

    private static int hashAt(byte[] a, int base, int i) {
        return i == 0 ? 0 : DirBlock.u32(a, base + 8 * i);
    }

    private static int blockAt(byte[] a, int base, int i) {
        return DirBlock.u32(a, base + 8 * i + 4);
    }

    /** Hash of a name with this directory's version: major in the high 32 bits, minor in the low. */
    long hash(int version, byte[] name, int off, int len) {
        return DirHash.hash(DirHash.effectiveVersion(version, unsignedChars), seed, name, off, len);
    }

    static long position(long hash) {
        long major = (hash >>> 32) >>> 1, minor = (hash & 0xffffffffL) >>> 1;
        return HASH_POS | (major << 31) | minor;
    }

    /** Reads and checks the root; the path's frames[0] is positioned by {@link #descend}. */
    private Path root(Ext2Inode dir) throws FsException {
        long pblk = d.blockOf(dir, 0);
        Path p = new Path();
        try (BufferCache.Buffer b = d.block(dir, pblk)) {
            byte[] a = b.array();
            if (DirBlock.recLen(a, 0) != 12 || DirBlock.nameLen(a, 0) != 1 || DirBlock.recLen(a, 12) != bs - 12
                    || DirBlock.nameLen(a, 12) != 2) {
                throw corrupt(dir, "root block " + pblk + " does not start with '.' and '..'");
            }
            int reserved = DirBlock.u32(a, 24), infoLen = a[29] & 0xff;
            p.version = a[28] & 0xff;
            p.levels = a[30] & 0xff;
            if (reserved != 0 || infoLen != 8 || !DirHash.known(p.version) || p.levels > 1) {
                throw corrupt(dir, "bad root info in block " + pblk + " (hash version " + p.version + ", info length "
                        + infoLen + ", levels " + p.levels + ")");
            }
            p.frames[0] = frame(dir, a, 0, pblk, ROOT_BASE, rootLimit);
        }
        return p;
    }

    private Frame frame(Ext2Inode dir, byte[] a, long lblk, long pblk, int base, int expectLimit) throws FsException {
        int limit = DirBlock.u16(a, base), count = DirBlock.u16(a, base + 2);
        if (limit != expectLimit || count == 0 || count > limit) {
            throw corrupt(dir, "index block " + pblk + ": count " + count + ", limit " + limit + " (expected " + expectLimit + ")");
        }
        return new Frame(lblk, pblk, base, limit, count);
    }

    /** The last entry whose hash is <= {@code hash} (unsigned), as dx_probe. */
    private static int search(byte[] a, Frame f, int hash) {
        int lo = 1, hi = f.count - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (Integer.compareUnsigned(hashAt(a, f.base, mid), hash) > 0) hi = mid - 1;
            else lo = mid + 1;
        }
        return lo - 1;
    }

    private long checkedBlock(Ext2Inode dir, int lblk, Frame from) throws FsException {
        long n = lblk & 0xffffffffL;
        if (n == 0 || n >= d.blocks(dir)) throw corrupt(dir, "index block " + from.pblk + " points at block " + n);
        return n;
    }

    /** Walks from the root to the leaf covering {@code hash}. */
    private Path probe(Ext2Inode dir, int hash) throws FsException {
        Path p = root(dir);
        for (int level = 0; ; level++) {
            Frame f = p.frames[level];
            long next;
            try (BufferCache.Buffer b = d.cache.get(f.pblk)) {
                f.at = search(b.array(), f, hash);
                next = checkedBlock(dir, blockAt(b.array(), f.base, f.at), f);
            }
            if (level == p.levels) {
                p.leaf = next;
                return p;
            }
            p.frames[level + 1] = node(dir, next);
        }
    }

    private Frame node(Ext2Inode dir, long lblk) throws FsException {
        long pblk = d.blockOf(dir, lblk);
        try (BufferCache.Buffer b = d.block(dir, pblk)) {
            byte[] a = b.array();
            if (DirBlock.ino(a, 0) != 0 || DirBlock.recLen(a, 0) != bs) {
                throw corrupt(dir, "index node block " + pblk + " does not start with an empty record");
            }
            return frame(dir, a, lblk, pblk, NODE_BASE, nodeLimit);
        }
    }

    /**
     * Moves the path to the next leaf in hash order (ext4_htree_next_block); returns the hash of the
     * entry moved to (bit 0 set: a continuation), or -1L when there is none. {@code p.leaf} is updated.
     */
    private long nextLeaf(Ext2Inode dir, Path p) throws FsException {
        int level = p.levels;
        while (level >= 0 && p.frames[level].at + 1 >= p.frames[level].count) level--;
        if (level < 0) return -1L;
        Frame f = p.frames[level];
        f.at++;
        int hash;
        long next;
        try (BufferCache.Buffer b = d.cache.get(f.pblk)) {
            hash = hashAt(b.array(), f.base, f.at);
            next = checkedBlock(dir, blockAt(b.array(), f.base, f.at), f);
        }
        while (level < p.levels) {
            Frame child = node(dir, next);
            child.at = 0;
            p.frames[++level] = child;
            try (BufferCache.Buffer b = d.cache.get(child.pblk)) {
                next = checkedBlock(dir, blockAt(b.array(), child.base, 0), child);
            }
        }
        p.leaf = next;
        return hash & 0xffffffffL;
    }

    // ---- lookup ----

    Directory.Slot find(Ext2Inode dir, byte[] name) throws FsException {
        int version = root(dir).version;
        int major = DirHash.major(hash(version, name, 0, name.length));
        Path p = probe(dir, major);
        while (true) {
            Directory.Slot s = d.findInBlock(dir, d.blockOf(dir, p.leaf), name);
            if (s != null) return s;
            long next = nextLeaf(dir, p);
            if (next < 0 || ((int) next & ~1) != major) return null; // the collision run (if any) ends here
        }
    }

    // ---- readdir ----

    void list(Ext2Inode dir, long cookie, Directory.Visitor v) throws FsException {
        if (cookie < 2) {
            try (BufferCache.Buffer b = d.block(dir, d.blockOf(dir, 0))) {
                byte[] a = b.array();
                if (cookie <= 0 && !v.visit(d.entryAt(a, 0, 0, 1))) return;
                if (!v.visit(d.entryAt(a, 12, 1, 2))) return;
            }
        }
        long start = cookie >= HASH_POS ? cookie : HASH_POS; // a stray small cookie restarts the hash order
        int startMajor = (int) (((start - HASH_POS) >>> 31) << 1);
        Path p = probe(dir, startMajor);
        int version = p.version;
        List<Directory.DirEntry> batch = new ArrayList<>();
        long pending = p.leaf;
        while (pending >= 0) {
            batch.clear();
            collect(dir, pending, version, start, batch);
            long nextHash;
            while ((nextHash = nextLeaf(dir, p)) >= 0 && (nextHash & 1) != 0) {
                collect(dir, p.leaf, version, start, batch); // a collision run continues: sort it as one
            }
            pending = nextHash >= 0 ? p.leaf : -1;
            batch.sort(Comparator.comparingLong(Directory.DirEntry::offset));
            for (Directory.DirEntry e : batch) if (!v.visit(e)) return;
        }
    }

    private void collect(Ext2Inode dir, long lblk, int version, long start, List<Directory.DirEntry> out)
            throws FsException {
        try (BufferCache.Buffer b = d.block(dir, d.blockOf(dir, lblk))) {
            byte[] a = b.array();
            for (int off = 0; off < bs; off += DirBlock.recLen(a, off)) {
                if (DirBlock.ino(a, off) == 0) continue;
                long pos = position(hash(version, a, off + 8, DirBlock.nameLen(a, off)));
                if (pos >= start) out.add(d.entryAt(a, off, pos, pos + 1));
            }
        }
    }

    // ---- insert ----

    /** Inserts a record, splitting leaves and growing the index as needed. The name is new. */
    void add(Ext2Inode dir, byte[] name, int ino, int ftype, boolean useReserved) throws FsException {
        for (int attempt = 0; attempt < 6; attempt++) {
            Path p = probe(dir, DirHash.major(hashOf(dir, name)));
            try (BufferCache.Buffer b = d.block(dir, d.blockOf(dir, p.leaf))) {
                if (DirBlock.insert(b, bs, name, ino, ftype)) return;
            }
            makeRoom(dir, p, useReserved);
        }
        throw corrupt(dir, "no room for a new name after splitting");
    }

    private long hashOf(Ext2Inode dir, byte[] name) throws FsException {
        return hash(root(dir).version, name, 0, name.length);
    }

    /** One step towards room in the leaf {@code p} reached: grow or split the index, else split the leaf. */
    private void makeRoom(Ext2Inode dir, Path p, boolean useReserved) throws FsException {
        Frame parent = p.deepest();
        if (parent.count < parent.limit) {
            splitLeaf(dir, p, parent, useReserved);
        } else if (p.levels == 0) {
            addLevel(dir, p, useReserved);
        } else if (p.frames[0].count < p.frames[0].limit) {
            splitNode(dir, p, useReserved);
        } else {
            LOG.log(System.Logger.Level.WARNING, "ext2: htree directory inode " + dir.number + " is full (index of "
                    + p.frames[0].count + " x " + nodeLimit + " leaves)");
            throw new FsException(Errno.ENOSPC, "directory index full");
        }
    }

    /** Inserts {hash, lblk} after entry {@code f.at} of an index block that has room. */
    private void insertEntry(Frame f, int hash, long lblk) throws FsException {
        try (BufferCache.Buffer b = d.cache.get(f.pblk)) {
            synchronized (b) {
                byte[] a = b.array();
                int from = f.base + 8 * (f.at + 1);
                System.arraycopy(a, from, a, from + 8, 8 * (f.count - f.at - 1));
                DirBlock.put32(a, from, hash);
                DirBlock.put32(a, from + 4, (int) lblk);
                f.count++;
                DirBlock.put16(a, f.base + 2, f.count);
                b.markDirty();
            }
        }
    }

    private record Rec(long hash, int off, int size) {}

    /** Splits the leaf at half its bytes in hash order (do_split); the upper half moves to a new block. */
    private void splitLeaf(Ext2Inode dir, Path p, Frame parent, boolean useReserved) throws FsException {
        long pblk = d.blockOf(dir, p.leaf);
        byte[] old;
        try (BufferCache.Buffer b = d.block(dir, pblk)) {
            old = b.array().clone();
        }
        List<Rec> recs = new ArrayList<>();
        for (int off = 0; off < bs; off += DirBlock.recLen(old, off)) {
            if (DirBlock.ino(old, off) == 0) continue;
            int len = DirBlock.nameLen(old, off);
            recs.add(new Rec(hash(p.version, old, off + 8, len), off, DirBlock.need(len)));
        }
        if (recs.size() < 2) throw corrupt(dir, "leaf block " + pblk + " is full but holds " + recs.size() + " names");
        recs.sort((x, y) -> {
            int c = Integer.compareUnsigned(DirHash.major(x.hash), DirHash.major(y.hash));
            return c != 0 ? c : Integer.compareUnsigned(DirHash.minor(x.hash), DirHash.minor(y.hash));
        });
        int size = 0, move = 0;
        for (int i = recs.size() - 1; i >= 0; i--) {
            if (size + recs.get(i).size / 2 > bs / 2) break;
            size += recs.get(i).size;
            move++;
        }
        int split = Math.max(1, Math.min(recs.size() - 1, recs.size() - move));
        int hash2 = DirHash.major(recs.get(split).hash);
        boolean continued = hash2 == DirHash.major(recs.get(split - 1).hash);
        long[] newLblk = new long[1];
        try (BufferCache.Buffer nb = d.appendBlock(dir, useReserved, newLblk)) {
            synchronized (nb) {
                pack(old, recs.subList(split, recs.size()), nb.array());
                nb.markDirty();
            }
        }
        try (BufferCache.Buffer b = d.cache.get(pblk)) {
            synchronized (b) {
                byte[] a = b.array();
                Arrays.fill(a, (byte) 0);
                pack(old, recs.subList(0, split), a);
                b.markDirty();
            }
        }
        insertEntry(parent, hash2 | (continued ? 1 : 0), newLblk[0]);
    }

    /** Writes records densely from the start of {@code dst}; the last one reaches the block end. */
    private void pack(byte[] src, List<Rec> recs, byte[] dst) {
        int off = 0, last = -1;
        for (Rec r : recs) {
            int len = DirBlock.nameLen(src, r.off);
            System.arraycopy(src, r.off, dst, off, 8 + len);
            DirBlock.put16(dst, off + 4, r.size);
            last = off;
            off += r.size;
        }
        if (last < 0) DirBlock.put16(dst, 0, bs); // an empty block: one free record
        else DirBlock.put16(dst, last + 4, bs - last);
    }

    /** Depth 0 with a full root: the root's entries move to a new node, which becomes its only child. */
    private void addLevel(Ext2Inode dir, Path p, boolean useReserved) throws FsException {
        Frame root = p.frames[0];
        long[] lblk = new long[1];
        try (BufferCache.Buffer rb = d.cache.get(root.pblk); BufferCache.Buffer nb = d.appendBlock(dir, useReserved, lblk)) {
            synchronized (rb) {
                synchronized (nb) {
                    byte[] r = rb.array(), n = nb.array();
                    DirBlock.put16(n, 4, bs); // the empty record that makes a node look like a free block
                    System.arraycopy(r, ROOT_BASE, n, NODE_BASE, 8 * root.count);
                    DirBlock.put16(n, NODE_BASE, nodeLimit);
                    DirBlock.put16(n, NODE_BASE + 2, root.count);
                    Arrays.fill(r, ROOT_BASE, bs, (byte) 0);
                    DirBlock.put16(r, ROOT_BASE, rootLimit);
                    DirBlock.put16(r, ROOT_BASE + 2, 1);
                    DirBlock.put32(r, ROOT_BASE + 4, (int) lblk[0]);
                    r[30] = 1; // indirect_levels
                    nb.markDirty();
                }
                rb.markDirty();
            }
        }
    }

    /** Depth 1 with a full node: its upper half moves to a new node, entered in the root. */
    private void splitNode(Ext2Inode dir, Path p, boolean useReserved) throws FsException {
        Frame node = p.frames[1];
        int half = node.count / 2, moved = node.count - half;
        int hash;
        long[] lblk = new long[1];
        try (BufferCache.Buffer ob = d.cache.get(node.pblk); BufferCache.Buffer nb = d.appendBlock(dir, useReserved, lblk)) {
            synchronized (ob) {
                synchronized (nb) {
                    byte[] o = ob.array(), n = nb.array();
                    hash = hashAt(o, node.base, half);
                    DirBlock.put16(n, 4, bs);
                    System.arraycopy(o, node.base + 8 * half, n, NODE_BASE, 8 * moved);
                    DirBlock.put16(n, NODE_BASE, nodeLimit);
                    DirBlock.put16(n, NODE_BASE + 2, moved);
                    Arrays.fill(o, node.base + 8 * half, node.base + 8 * node.count, (byte) 0);
                    DirBlock.put16(o, node.base + 2, half);
                    nb.markDirty();
                }
                ob.markDirty();
            }
        }
        insertEntry(p.frames[0], hash, lblk[0]);
    }

    // ---- indexing a linear directory ----

    /**
     * Turns a one-block linear directory into an indexed one (make_indexed_dir): its names move to a
     * new leaf (block 1) and block 0 becomes the root pointing at it; the caller's insert then splits
     * that leaf.
     */
    void index(Ext2Inode dir, boolean useReserved) throws FsException {
        long pblk = d.blockOf(dir, 0);
        byte[] old;
        try (BufferCache.Buffer b = d.block(dir, pblk)) {
            old = b.array().clone();
        }
        if (DirBlock.nameLen(old, 0) != 1 || old[8] != '.' || DirBlock.recLen(old, 0) != 12
                || DirBlock.nameLen(old, 12) != 2 || old[20] != '.' || old[21] != '.') {
            throw Corrupt.eio("directory inode " + dir.number + ": block " + pblk + " does not start with '.' and '..'");
        }
        List<Rec> recs = new ArrayList<>();
        for (int off = 12 + DirBlock.recLen(old, 12); off < bs; off += DirBlock.recLen(old, off)) {
            if (DirBlock.ino(old, off) != 0) recs.add(new Rec(0, off, DirBlock.need(DirBlock.nameLen(old, off))));
        }
        long[] leaf = new long[1];
        try (BufferCache.Buffer nb = d.appendBlock(dir, useReserved, leaf)) {
            synchronized (nb) {
                pack(old, recs, nb.array());
                nb.markDirty();
            }
        }
        int version = d.sb.defHashVersion();
        if (!DirHash.known(version) || version > DirHash.TEA) version = DirHash.HALF_MD4;
        try (BufferCache.Buffer b = d.cache.get(pblk)) {
            synchronized (b) {
                byte[] a = b.array();
                Arrays.fill(a, 24, bs, (byte) 0);
                DirBlock.put16(a, 16, bs - 12); // ".." now covers the rest of the block
                a[28] = (byte) version;
                a[29] = 8;
                DirBlock.put16(a, ROOT_BASE, rootLimit);
                DirBlock.put16(a, ROOT_BASE + 2, 1);
                DirBlock.put32(a, ROOT_BASE + 4, (int) leaf[0]);
                b.markDirty();
            }
        }
        dir.flags |= Ext2Inode.EXT2_INDEX_FL;
    }
}
