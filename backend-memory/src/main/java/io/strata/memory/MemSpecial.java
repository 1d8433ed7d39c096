package io.strata.memory;

/** A fifo, socket, character or block device: only the device number is recorded (mknod). */
final class MemSpecial extends MemInode {
    final int rdev;

    MemSpecial(int ino, int generation, int mode, int uid, int gid, long now, int rdev) {
        super(ino, generation, mode, uid, gid, now);
        this.rdev = rdev;
    }

    @Override
    int rdev() {
        return rdev;
    }
}
