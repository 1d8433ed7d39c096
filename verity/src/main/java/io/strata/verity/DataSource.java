package io.strata.verity;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;

/**
 * Where the Merkle tree builder reads file data: positioned reads of {@code dst.remaining()} bytes
 * at most, returning the count (0 or -1 at the end). The builder reads strictly sequentially from
 * one thread, unless the source says it is {@link #concurrent}.
 */
@FunctionalInterface
public interface DataSource {
    int read(long offset, ByteBuffer dst) throws IOException;

    /**
     * True if {@link #read} may be called at any offsets from several threads at once (a pread).
     * The builder then lets every hashing thread read its own shard, so each shard is hashed while
     * it is still in that core's cache.
     */
    default boolean concurrent() {
        return false;
    }

    /** {@code src} declared safe for concurrent positioned reads. */
    static DataSource concurrent(DataSource src) {
        return new DataSource() {
            @Override
            public int read(long offset, ByteBuffer dst) throws IOException {
                return src.read(offset, dst);
            }

            @Override
            public boolean concurrent() {
                return true;
            }
        };
    }

    /** A file channel read with positioned reads (thread-safe: FileChannel.read(dst, position)). */
    static DataSource positional(java.nio.channels.FileChannel ch) {
        return concurrent((offset, dst) -> ch.read(dst, offset));
    }

    /** A sequential channel (a file, a pipe): offsets must arrive in order, as the builder sends them. */
    static DataSource of(ReadableByteChannel ch) {
        return new DataSource() {
            private long position;

            @Override
            public int read(long offset, ByteBuffer dst) throws IOException {
                if (offset != position) throw new IOException("non-sequential read at " + offset + ", at " + position);
                int n = ch.read(dst);
                if (n > 0) position += n;
                return n;
            }
        };
    }
}
