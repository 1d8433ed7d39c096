package io.strata.memory;

/** A regular file; its data object exists only once the file has a size or allocated chunks. */
final class MemFile extends MemInode {
    /** Null while the file is empty and has nothing allocated: a million empty files cost no data. */
    ChunkedData data;

    MemFile(int ino, int generation, int mode, int uid, int gid, long now) {
        super(ino, generation, mode, uid, gid, now);
    }

    @Override
    long size() {
        return data == null ? 0 : data.size;
    }

    @Override
    long allocatedBytes() {
        return data == null ? 0 : data.allocatedBytes();
    }

    ChunkedData data() {
        if (data == null) data = new ChunkedData();
        return data;
    }
}
