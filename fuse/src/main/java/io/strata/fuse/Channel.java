package io.strata.fuse;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import io.strata.sys.Libc;
import io.strata.sys.SysException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * One /dev/fuse descriptor of the connection. The kernel matches a reply to its request only on
 * the descriptor the request was read from, so replies sent later (a granted SETLKW) go through
 * the request's own channel.
 */
final class Channel {
    final int fd;

    Channel(int fd) {
        this.fd = fd;
    }

    /** Sends a header-only reply from any thread. Lost replies (interrupted requests) are ignored. */
    void replyLater(long unique, int errno) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment b = a.allocate(16, 8);
            b.set(JAVA_INT_UNALIGNED, 0, 16);
            b.set(JAVA_INT_UNALIGNED, 4, -errno);
            b.set(JAVA_LONG_UNALIGNED, 8, unique);
            Libc.write(fd, b, 16);
        } catch (SysException e) {
            // ENOENT: the request was aborted meanwhile; nobody waits for this reply any more
        }
    }
}
