package io.strata.verity;

import static org.junit.jupiter.api.Assertions.*;

import io.strata.core.Errno;
import io.strata.core.FsException;
import io.strata.core.OpenFlags;
import org.junit.jupiter.api.Test;

/** Enable excludes writers and writers exclude enable, as deny_write_access does. */
class OpenFilesTest {
    private static int errno(Executable e) {
        try {
            e.run();
        } catch (FsException x) {
            return x.errno();
        }
        return 0;
    }

    interface Executable {
        void run() throws FsException;
    }

    @Test
    void writerBlocksEnable() throws FsException {
        OpenFiles f = new OpenFiles();
        assertTrue(f.begin(7, true, f.epoch()));
        assertEquals(Errno.ETXTBSY, errno(() -> f.beginEnable(7)), "pending writer");
        f.opened(7, true, 70, OpenFlags.O_RDWR, null);
        assertEquals(Errno.ETXTBSY, errno(() -> f.beginEnable(7)), "open writer");
        f.released(7, 70);
        f.beginEnable(7);
        assertEquals(Errno.EBUSY, errno(() -> f.beginEnable(7)));
        f.endEnable(7, null);
    }

    @Test
    void enableWaitsForAWriterWhoseReleaseIsOnItsWay() throws Exception {
        // FUSE sends RELEASE after close(2) returned: `cp f MNT/f && fsverity enable MNT/f`
        OpenFiles f = new OpenFiles();
        assertTrue(f.begin(7, true, f.epoch()));
        f.opened(7, true, 70, OpenFlags.O_WRONLY, null);
        Thread late = Thread.ofPlatform().start(() -> {
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                return;
            }
            f.released(7, 70);
        });
        long t0 = System.nanoTime();
        f.beginEnable(7);
        assertTrue(System.nanoTime() - t0 < OpenFiles.RELEASE_GRACE_NS, "enabled once the writer left, not at the deadline");
        f.endEnable(7, null);
        late.join();
    }

    @Test
    void enableBlocksWritersNotReaders() throws FsException {
        OpenFiles f = new OpenFiles();
        f.beginEnable(3);
        long e = f.epoch();
        assertEquals(Errno.ETXTBSY, errno(() -> f.begin(3, true, e)));
        assertTrue(f.begin(3, false, e));
        f.opened(3, false, 30, OpenFlags.O_RDONLY, null);
        assertEquals(OpenFlags.O_RDONLY, f.flags(3, 30));
        f.endEnable(3, null);
        assertFalse(f.begin(3, false, e), "an enable finished since the caller looked: look again");
        assertTrue(f.begin(3, true, f.epoch()));
        f.end(3, true);
        f.released(3, 30);
        assertEquals(-1, f.flags(3, 30));
    }

    @Test
    void truncatingOpenCountsAsWriter() {
        assertTrue(OpenFiles.writes(OpenFlags.O_RDONLY | OpenFlags.O_TRUNC));
        assertFalse(OpenFiles.writes(OpenFlags.O_RDONLY));
    }
}
