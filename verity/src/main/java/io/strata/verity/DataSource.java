package io.strata.verity;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;

/**
 * Where the Merkle tree builder reads file data: positioned reads of {@code dst.remaining()} bytes
 * at most, returning the count (0 or -1 at the end). The builder reads strictly sequentially.
 */
@FunctionalInterface
public interface DataSource {
    int read(long offset, ByteBuffer dst) throws IOException;

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
