package io.strata.sys;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class InotifyTest {
    @Test
    void reportsCreateModifyDeleteThroughProcFdWatch() throws Exception {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "strata-inotify");
        int dfd = Libc.open(dir.toString(), Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0);
        try (Inotify in = Inotify.open(Inotify.IN_NONBLOCK | Inotify.IN_CLOEXEC)) {
            assertTrue(in.read().isEmpty());
            // Watch through the O_PATH descriptor's magic link: the inode we hold, not a path.
            int wd = in.addWatch("/proc/self/fd/" + dfd, Inotify.IN_CREATE | Inotify.IN_MODIFY | Inotify.IN_DELETE);
            Files.writeString(dir.resolve("a"), "x");
            Files.delete(dir.resolve("a"));
            List<Inotify.Event> ev = new ArrayList<>();
            while (in.await(200)) ev.addAll(in.read());
            assertEquals(List.of(new Inotify.Event(wd, Inotify.IN_CREATE, 0, "a"),
                    new Inotify.Event(wd, Inotify.IN_MODIFY, 0, "a"),
                    new Inotify.Event(wd, Inotify.IN_DELETE, 0, "a")), ev);
            in.rmWatch(wd);
            while (in.await(100)) ev.addAll(in.read());
            assertTrue(ev.getLast().has(Inotify.IN_IGNORED));
        } finally {
            Libc.close(dfd);
            Files.deleteIfExists(dir);
        }
    }
}
