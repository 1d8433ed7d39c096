package io.strata.memory;

/**
 * A directory. Its entries and its parent pointer belong to the namespace, so they are guarded by
 * the file system's namespace lock, not by this inode's lock (which guards only the attributes).
 */
final class MemDir extends MemInode {
    final DirectoryTable entries = new DirectoryTable();
    /** The ".." inode; the root is its own parent. Guarded by the namespace lock. */
    int parent;

    MemDir(int ino, int generation, int mode, int uid, int gid, long now, int parent) {
        super(ino, generation, mode, uid, gid, now);
        this.parent = parent;
    }

    @Override
    long size() {
        return BLKSIZE; // a constant like many file systems; entry counts would need the namespace lock
    }
}
