package io.strata.ext2;

import io.strata.core.FsException;
import io.strata.core.Errno;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A mounted ext2 image: superblock, group descriptors, caches and allocators, plus mount state and
 * writeback. Opening validates the geometry and the feature words ({@link Features}); a read-write
 * mount marks the superblock not-clean (s_state without VALID), bumps s_mnt_count and s_mtime,
 * and writes that at once; a clean unmount writes everything back and restores the clean state.
 *
 * <p>Writeback: {@link #flush} writes dirty metadata buffers, the group descriptors and the primary
 * superblock (free totals recomputed from the exact per-group counts); {@link #sync} also updates
 * the sparse_super backups and forces the image to stable storage. A daemon thread flushes every
 * 5 seconds.
 *
 * <p>Lock order (whole driver): namespace lock (Ext2FileSystem) → inode locks (ascending inode
 * number when several) → xattr lock → barrier (read by data writers, write by flush) → group allocator locks (one at a time; the flush
 * takes all, ascending)
 * → buffer monitors / cache monitor / inode-table monitor (leaves). flushLock only serialises
 * flushes and is taken before the barrier.
 */
public final class Ext2Volume implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Ext2Volume.class.getName());

    final Path path;
    final ImageChannel ch;
    final Superblock sb;
    final GroupDescriptors gdt;
    final BufferCache cache;
    final InodeTable inodes;
    final BlockAllocator balloc;
    final InodeAllocator ialloc;
    final BlockMap bmap;
    final FileIo io;
    final Directory dirs;
    final boolean readOnly;
    /** Why a read-write open became read-only (for the user, not only the log), or null. Set before publication. */
    String readOnlyReason;
    final int bs;
    final long imageSize;
    final ReentrantReadWriteLock barrier = new ReentrantReadWriteLock();
    private final ReentrantLock flushLock = new ReentrantLock();
    private final GroupLocks groupLocks;
    final Object xattrLock = new Object();
    private final int origState;
    private ScheduledExecutorService flusher;
    private volatile boolean closed;

    private Ext2Volume(Path path, ImageChannel ch, Superblock sb, byte[] gdtBytes, Ext2Options opts, boolean ro)
            throws IOException {
        this.path = path;
        this.ch = ch;
        this.sb = sb;
        this.readOnly = ro;
        this.bs = sb.blockSize();
        this.imageSize = ch.size();
        this.gdt = new GroupDescriptors(sb, gdtBytes);
        String bad = gdt.validate();
        if (bad != null) throw new IOException("ext2: corrupt group descriptors: " + bad);
        this.cache = new BufferCache(ch, bs, opts.cacheBytes(), sb.blocksCount());
        this.groupLocks = new GroupLocks(gdt.count());
        this.balloc = new BlockAllocator(sb, gdt, cache, groupLocks);
        this.ialloc = new InodeAllocator(sb, gdt, cache, groupLocks);
        this.inodes = new InodeTable(sb, gdt, cache);
        this.bmap = new BlockMap(sb, gdt, cache, balloc);
        this.io = new FileIo(ch, bmap, bs, barrier);
        this.dirs = new Directory(sb, cache, bmap);
        this.origState = sb.state();
    }

    /** Opens an image. IOException with a message for anything we cannot or must not mount. */
    public static Ext2Volume open(Path image, Ext2Options opts) throws IOException {
        boolean ro = opts.readOnly();
        String roReason = null;
        // Read-only first; a read-write open is reopened with the image lock once the features allow writing.
        ImageChannel ch = ImageChannel.open(image, false);
        try {
            byte[] raw = new byte[Superblock.SIZE];
            readAt(ch, raw, Superblock.OFFSET);
            Superblock sb = new Superblock(raw);
            String bad = sb.validate(ch.size());
            if (bad != null) throw new IOException("ext2: " + image + ": " + bad);
            int unknownIncompat = sb.featureIncompat() & ~Features.SUPPORTED_INCOMPAT;
            if (unknownIncompat != 0) {
                throw new IOException("ext2: image needs unsupported feature '"
                        + String.join("', '", Features.incompatNames(unknownIncompat)) + "'");
            }
            int unknownRo = sb.featureRoCompat() & ~Features.SUPPORTED_RO_COMPAT;
            if (unknownRo != 0 && !ro) {
                roReason = "it has unsupported read-only-compatible feature(s) '"
                        + String.join("', '", Features.roCompatNames(unknownRo)) + "'";
                LOG.log(System.Logger.Level.WARNING, "ext2: " + image + ": " + roReason + ": mounting read-only");
                ro = true;
            }
            if (sb.hasCompat(Features.COMPAT_HAS_JOURNAL) && !ro) {
                roReason = "it has a journal (ext3/ext4 feature 'has_journal'), which ext2 does not maintain";
                LOG.log(System.Logger.Level.WARNING, "ext2: " + image + ": " + roReason + ": mounting read-only");
                ro = true;
            }
            // One writer per image: a second read-write open (another mount, strata ext2 put, mkfs)
            // would interleave metadata updates and lose files. Read-only opens stay allowed.
            if (!ro) {
                ch.close();
                ch = ImageChannel.open(image, true);
            }
            int tb = GroupDescriptors.tableBlocks(sb);
            byte[] gdtBytes = new byte[tb * sb.blockSize()];
            for (int i = 0; i < tb; i++) {
                long loc = GroupDescriptors.descBlockLocation(sb, i, 0);
                if (loc >= sb.blocksCount()) throw new IOException("ext2: group descriptor block outside the file system");
                byte[] blk = new byte[sb.blockSize()];
                readAt(ch, blk, loc * sb.blockSize());
                System.arraycopy(blk, 0, gdtBytes, i * sb.blockSize(), sb.blockSize());
            }
            Ext2Volume v = new Ext2Volume(image, ch, sb, gdtBytes, opts, ro);
            v.readOnlyReason = roReason;
            v.mount();
            return v;
        } catch (IOException | RuntimeException e) {
            ch.close();
            if (e instanceof IOException io) throw io;
            throw new IOException("ext2: " + image + ": cannot mount: " + e, e);
        }
    }

    private static void readAt(ImageChannel ch, byte[] dst, long pos) throws IOException {
        if (!ch.readFully(ByteBuffer.wrap(dst), pos)) throw new IOException("ext2: image too short");
    }

    private void mount() throws IOException {
        inodes.reclaimer = this::reclaim;
        if (readOnly) return;
        if ((origState & Superblock.STATE_VALID) == 0) {
            LOG.log(System.Logger.Level.WARNING, "ext2: " + path + " was not cleanly unmounted; run e2fsck");
        }
        long now = System.currentTimeMillis() / 1000;
        synchronized (sb) {
            sb.setState(origState & ~Superblock.STATE_VALID);
            sb.setMntCount(sb.mntCount() + 1);
            sb.setMtime(now);
            sb.setWtime(now);
        }
        try {
            flush();
        } catch (FsException e) {
            throw new IOException("ext2: cannot write superblock: " + e.getMessage());
        }
        flusher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "ext2-flusher " + path.getFileName());
            t.setDaemon(true);
            return t;
        });
        flusher.scheduleWithFixedDelay(() -> {
            try {
                if (!closed) flush();
            } catch (Throwable t) {
                LOG.log(System.Logger.Level.ERROR, "ext2: background flush failed", t);
            }
        }, 5, 5, TimeUnit.SECONDS);
    }

    /** Frees everything an unlinked, unreferenced inode holds (the in-memory orphan list's job). */
    private void reclaim(Ext2Inode in) throws FsException {
        if (readOnly) return;
        in.lock.writeLock().lock();
        try {
            if (in.hasBlockMap(bs)) bmap.truncate(in, 0);
            Xattrs.release(this, in);
            in.size = 0;
            in.dtime = System.currentTimeMillis() / 1000;
            inodes.write(in);
            inodes.markFreed(in); // before the bitmap bit: the number may be handed out again at once
            ialloc.free(in.number, in.isDir());
        } finally {
            in.lock.writeLock().unlock();
        }
    }

    /** Writes dirty metadata, the group descriptors and the primary superblock. */
    public void flush() throws FsException {
        if (readOnly) return;
        flushLock.lock();
        try {
            List<Map.Entry<Long, byte[]>> dirty;
            byte[][] gdtBlocks;
            byte[] sbBytes;
            barrier.writeLock().lock(); // no data write in flight: metadata never points at unwritten data
            try {
                groupLocks.lockAll(); // bitmaps and counts of every group as one consistent snapshot
                try {
                    dirty = cache.takeDirty();
                    int tb = GroupDescriptors.tableBlocks(sb);
                    gdtBlocks = new byte[tb][];
                    for (int i = 0; i < tb; i++) gdtBlocks[i] = gdt.encodeBlock(i);
                    synchronized (sb) {
                        sb.setFreeBlocksCount(gdt.totalFreeBlocks());
                        sb.setFreeInodesCount(gdt.totalFreeInodes());
                        sb.setWtime(System.currentTimeMillis() / 1000);
                        sbBytes = sb.raw().clone();
                    }
                } finally {
                    groupLocks.unlockAll();
                }
            } finally {
                barrier.writeLock().unlock();
            }
            cache.writeAll(dirty);
            for (int i = 0; i < gdtBlocks.length; i++) {
                BufferCache.writeFully(ch, ByteBuffer.wrap(gdtBlocks[i]), GroupDescriptors.descBlockLocation(sb, i, 0) * bs);
            }
            BufferCache.writeFully(ch, ByteBuffer.wrap(sbBytes), Superblock.OFFSET);
            lastGdt = gdtBlocks;
        } catch (IOException e) {
            throw new FsException(Errno.EIO, "ext2 flush: " + e.getMessage());
        } finally {
            flushLock.unlock();
        }
    }

    private byte[][] lastGdt;

    /** flush + superblock/GDT backups + force to disk. */
    public void sync() throws FsException {
        if (readOnly) return;
        flush();
        flushLock.lock();
        try {
            byte[][] g = lastGdt;
            for (int grp = 1; grp < gdt.count(); grp++) {
                if (!sb.groupHasSuper(grp)) continue;
                long first = gdt.groupFirstBlock(grp);
                byte[] copy;
                synchronized (sb) {
                    copy = sb.backupCopy(grp);
                }
                BufferCache.writeFully(ch, ByteBuffer.wrap(copy), first * bs);
                if (!sb.hasIncompat(Features.INCOMPAT_META_BG)) {
                    for (int i = 0; i < g.length; i++) {
                        BufferCache.writeFully(ch, ByteBuffer.wrap(g[i]), (first + 1 + i) * bs);
                    }
                }
            }
            ch.force(true);
        } catch (IOException e) {
            throw new FsException(Errno.EIO, "ext2 sync: " + e.getMessage());
        } finally {
            flushLock.unlock();
        }
    }

    /** Data + metadata to stable storage (fsync). */
    void force() throws FsException {
        if (readOnly) return;
        flush();
        try {
            ch.force(false);
        } catch (IOException e) {
            throw new FsException(Errno.EIO, "fsync: " + e.getMessage());
        }
    }

    /** Clean unmount: frees orphans, writes everything, marks the superblock clean. */
    @Override
    public void close() throws IOException {
        if (closed) return;
        try {
            if (!readOnly) {
                stopFlusher();
                inodes.reclaimAllUnlinked();
                synchronized (sb) {
                    sb.setState(origState);
                }
                sync();
            }
        } catch (FsException e) {
            throw new IOException("ext2: unmount of " + path + ": " + e.getMessage());
        } finally {
            closed = true;
            ch.close();
        }
    }

    /**
     * Stops the background flusher without interrupting it: an interrupt in the middle of its
     * write would close the image channel under the final flush. Pending runs are cancelled, a
     * running one finishes; waits for it even if the caller is interrupted.
     */
    private void stopFlusher() {
        if (flusher == null) return;
        flusher.shutdown();
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    if (flusher.awaitTermination(1, TimeUnit.MINUTES)) break;
                    LOG.log(System.Logger.Level.WARNING, "ext2: " + path + ": still waiting for the background flush");
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) Thread.currentThread().interrupt();
        }
    }

    public Superblock superblock() {
        return sb;
    }

    /** A flush is running now (tests: unmount while the flusher writes). */
    boolean flushInProgress() {
        return flushLock.isLocked();
    }

    boolean isClosed() {
        return closed;
    }

    /** Marks the large_file feature once a file grows beyond 2 GiB (as ext2_update_dynamic_rev does). */
    void noteLargeFile() {
        synchronized (sb) {
            if (!sb.hasRoCompat(Features.RO_COMPAT_LARGE_FILE) && sb.revLevel() >= 1) {
                sb.setFeatureRoCompat(sb.featureRoCompat() | Features.RO_COMPAT_LARGE_FILE);
            }
        }
    }
}
