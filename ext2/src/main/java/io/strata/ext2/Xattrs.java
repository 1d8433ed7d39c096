package io.strata.ext2;

import io.strata.core.FileSystem;
import io.strata.core.FsException;
import io.strata.core.Errno;
import io.strata.core.XattrName;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Extended-attribute operations of one inode: merges the in-inode area (read; entries there are
 * moved to the block when changed) and the ext_attr block, and does the block bookkeeping —
 * allocation, refcount sharing, copy-on-write, freeing, i_blocks. Block refcounts are shared
 * between inodes, so changes hold the volume's xattr lock (after the inode's lock).
 */
final class Xattrs {
    private Xattrs() {}

    private static List<XattrBlock.Attr> blockAttrs(Ext2Volume v, Ext2Inode in, long[] ref) throws FsException {
        if (in.fileAcl == 0) return new ArrayList<>();
        if (in.fileAcl >= v.sb.blocksCount() || v.gdt.isFixedMetadata(in.fileAcl)) {
            throw Corrupt.eio("inode " + in.number + ": xattr block " + in.fileAcl + " invalid");
        }
        try (BufferCache.Buffer b = v.cache.get(in.fileAcl)) {
            return new ArrayList<>(XattrBlock.parse(b.copy(), v.bs, in.fileAcl, ref));
        }
    }

    static List<XattrBlock.Attr> list(Ext2Volume v, Ext2Inode in) throws FsException {
        List<XattrBlock.Attr> all = new ArrayList<>(XattrBlock.parseInode(v.inodes.currentRaw(in), in.number));
        all.addAll(blockAttrs(v, in, new long[1]));
        return all;
    }

    static byte[] get(Ext2Volume v, Ext2Inode in, XattrName name) throws FsException {
        XattrBlock.Attr key = XattrBlock.split(name, null);
        for (XattrBlock.Attr a : list(v, in)) {
            if (a.index() == key.index() && Arrays.equals(a.name(), key.name())) return a.value();
        }
        throw new FsException(Errno.ENODATA);
    }

    /** Sets ({@code value != null}) or removes an attribute. Caller holds the inode's write lock. */
    static void set(Ext2Volume v, Ext2Inode in, XattrName name, byte[] value, int flags, boolean useReserved)
            throws FsException {
        XattrBlock.Attr key = XattrBlock.split(name, value);
        synchronized (v.xattrLock) {
            long[] ref = new long[1];
            List<XattrBlock.Attr> inInode = new ArrayList<>(XattrBlock.parseInode(v.inodes.currentRaw(in), in.number));
            List<XattrBlock.Attr> attrs = blockAttrs(v, in, ref);
            boolean movedFromInode = false;
            if (!inInode.isEmpty()) { // fold the in-inode attributes into the block set
                attrs.addAll(inInode);
                movedFromInode = true;
            }
            int found = -1;
            for (int i = 0; i < attrs.size(); i++) {
                XattrBlock.Attr a = attrs.get(i);
                if (a.index() == key.index() && Arrays.equals(a.name(), key.name())) found = i;
            }
            if (value == null && found < 0) throw new FsException(Errno.ENODATA);
            if (value != null && found >= 0 && (flags & FileSystem.XATTR_CREATE) != 0) throw new FsException(Errno.EEXIST);
            if (value != null && found < 0 && (flags & FileSystem.XATTR_REPLACE) != 0) throw new FsException(Errno.ENODATA);
            if (found >= 0) attrs.remove(found);
            if (value != null) attrs.add(key);
            if (!XattrBlock.fits(attrs, v.bs)) throw new FsException(Errno.ENOSPC, "xattrs do not fit in one block");
            store(v, in, attrs, ref[0], useReserved);
            if (movedFromInode) v.inodes.clearInodeXattrs(in);
        }
    }

    private static void store(Ext2Volume v, Ext2Inode in, List<XattrBlock.Attr> attrs, long refcount, boolean useReserved)
            throws FsException {
        long old = in.fileAcl;
        if (attrs.isEmpty()) {
            if (old != 0) {
                drop(v, old, refcount);
                in.fileAcl = 0;
                in.blocks512 -= v.bs / 512;
            }
            return;
        }
        if (old != 0 && refcount == 1) { // sole owner: rewrite in place
            try (BufferCache.Buffer b = v.cache.get(old)) {
                byte[] blk = XattrBlock.build(attrs, v.bs, 1);
                b.write(0, blk, 0, blk.length);
            }
            return;
        }
        // new block (first xattr, or copy-on-write of a shared block)
        long goal = in.block[0] != 0 && in.hasBlockMap(v.bs) ? (in.block[0] & 0xffffffffL)
                : v.gdt.groupFirstBlock((int) Math.min((in.number - 1) / v.sb.inodesPerGroup(), v.gdt.count() - 1));
        long nb = v.balloc.alloc(goal, 1, useReserved).start();
        try (BufferCache.Buffer b = v.cache.getZeroed(nb)) {
            byte[] blk = XattrBlock.build(attrs, v.bs, 1);
            b.write(0, blk, 0, blk.length);
        }
        if (old != 0) drop(v, old, refcount);
        else in.blocks512 += v.bs / 512;
        in.fileAcl = nb;
    }

    /** One reference to block {@code blk} fewer; frees it at zero. */
    private static void drop(Ext2Volume v, long blk, long refcount) throws FsException {
        if (refcount <= 1) {
            v.balloc.free(blk, 1);
        } else {
            try (BufferCache.Buffer b = v.cache.get(blk)) {
                XattrBlock.setRefcount(b, refcount - 1);
            }
        }
    }

    /** The inode is being freed: drop its block reference. */
    static void release(Ext2Volume v, Ext2Inode in) throws FsException {
        if (in.fileAcl == 0) return;
        synchronized (v.xattrLock) {
            long[] ref = new long[1];
            try {
                blockAttrs(v, in, ref);
                drop(v, in.fileAcl, ref[0]);
            } finally {
                in.blocks512 = Math.max(0, in.blocks512 - v.bs / 512);
                in.fileAcl = 0;
            }
        }
    }
}
