package io.strata.passthrough;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.strata.core.OpenFlags;
import io.strata.sys.Libc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReaperTest {

    /** Still our /dev/null descriptor (a number reused by the JVM for something else does not count). */
    private static boolean open(int fd) {
        try {
            return Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString().equals("/dev/null");
        } catch (java.io.IOException e) {
            return false;
        }
    }

    private static List<Integer> openMany(int n) throws Exception {
        List<Integer> fds = new ArrayList<>();
        for (int i = 0; i < n; i++) fds.add(Libc.open("/dev/null", OpenFlags.O_RDONLY | OpenFlags.O_CLOEXEC, 0));
        return fds;
    }

    @Test
    void closeDrainsEveryPendingDescriptor() throws Exception {
        Reaper r = new Reaper("test-reaper");
        // more than the ring holds: the overflow is closed inline, nothing is lost
        List<Integer> fds = openMany(Reaper.CAPACITY + 100);
        for (int fd : fds) r.close(fd);
        r.close();
        assertEquals(0, r.pending());
        for (int fd : fds) assertFalse(open(fd), "fd " + fd + " still open after the reaper closed");
    }

    @Test
    void closesAfterShutdownHappenInline() throws Exception {
        Reaper r = new Reaper("test-reaper");
        r.close();
        int fd = openMany(1).get(0);
        r.close(fd);
        assertFalse(open(fd));
    }

    @Test
    void closesWithoutBeingAskedToDrain() throws Exception {
        Reaper r = new Reaper("test-reaper");
        try {
            List<Integer> fds = openMany(50);
            for (int fd : fds) r.close(fd);
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (r.pending() > 0 && System.nanoTime() < deadline) Thread.sleep(5);
            assertEquals(0, r.pending(), "the reaper thread did not close on its own");
        } finally {
            r.close();
        }
    }
}
