package io.strata.memory;

/** A symbolic link; its target (bytes, never decoded) never changes after creation, so reading it needs no lock. */
final class MemSymlink extends MemInode {
    final byte[] target;

    MemSymlink(int ino, int generation, int uid, int gid, long now, byte[] target) {
        super(ino, generation, io.strata.core.FileType.S_IFLNK | 0777, uid, gid, now);
        this.target = target;
    }

    @Override
    long size() {
        return target.length;
    }
}
