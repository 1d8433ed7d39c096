package io.strata.sys;

import static org.junit.jupiter.api.Assertions.*;

import io.strata.core.Name;

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
            int wd = in.addWatchFd(dfd, Inotify.IN_CREATE | Inotify.IN_MODIFY | Inotify.IN_DELETE);
            Files.writeString(dir.resolve("a"), "x");
            Files.delete(dir.resolve("a"));
            List<Inotify.Event> ev = new ArrayList<>();
            while (in.await(200)) ev.addAll(in.read());
            Name a = Name.of("a");
            assertEquals(List.of(new Inotify.Event(wd, Inotify.IN_CREATE, 0, a),
                    new Inotify.Event(wd, Inotify.IN_MODIFY, 0, a),
                    new Inotify.Event(wd, Inotify.IN_DELETE, 0, a)), ev);
            // names that are not UTF-8 arrive as their bytes
            ev.clear();
            PosixFiles.mkdirat(dfd, new byte[] {(byte) 0xE9}, 0755);
            PosixFiles.mkdirat(dfd, new byte[] {(byte) 0xFF}, 0755);
            while (in.await(200)) ev.addAll(in.read());
            assertEquals(List.of(Name.of(new byte[] {(byte) 0xE9}), Name.of(new byte[] {(byte) 0xFF})),
                    ev.stream().map(Inotify.Event::name).toList());
            assertTrue(ev.get(0).has(Inotify.IN_ISDIR));
            PosixFiles.unlinkat(dfd, new byte[] {(byte) 0xE9}, PosixFiles.AT_REMOVEDIR);
            PosixFiles.unlinkat(dfd, new byte[] {(byte) 0xFF}, PosixFiles.AT_REMOVEDIR);
            while (in.await(200)) in.read();
            in.rmWatch(wd);
            while (in.await(100)) ev.addAll(in.read());
            assertTrue(ev.getLast().has(Inotify.IN_IGNORED));
            assertNull(ev.getLast().name(), "an event on the watched object itself has no name");
        } finally {
            Libc.close(dfd);
            Files.deleteIfExists(dir);
        }
    }
}
