package io.strata.passthrough;

import static io.strata.passthrough.Fixture.ROOT;
import static io.strata.passthrough.Fixture.n;
import static org.junit.jupiter.api.Assertions.*;

import io.strata.core.Entry;
import io.strata.core.FileSystem;
import io.strata.core.Name;
import io.strata.core.Opened;
import io.strata.passthrough.PassthroughOptions.Handles;
import io.strata.sys.Libc;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ConcurrencyAndFallbackTest {
    /** Many threads looking up, using and forgetting the same names: never two live nodes per file. */
    @ParameterizedTest
    @EnumSource(value = Handles.class, names = {"NEVER", "PREFER"})
    void concurrentLookupForgetKeepsOneNodePerFile(Handles h) throws Exception {
        try (Fixture f = new Fixture(PassthroughOptions.defaults().withHandles(h))) {
            int files = 8;
            for (int i = 0; i < files; i++) Files.writeString(f.src.resolve("f" + i), "x" + i);
            Files.createDirectory(f.src.resolve("d"));
            ExecutorService ex = Executors.newFixedThreadPool(8);
            // inode number -> node id seen while a reference was held
            Map<Long, Long> seen = new ConcurrentHashMap<>();
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int seed = t;
                fs.add(ex.submit(() -> {
                    for (int i = 0; i < 2000; i++) {
                        Name name = n((i + seed) % 5 == 0 ? "d" : "f" + ((i * 7 + seed) % files));
                        Entry e = f.fs.lookup(ROOT, FileSystem.ROOT, name);
                        if (!name.equals(n("d"))) {
                            Opened o = f.fs.open(ROOT, e.ino(), Libc.O_RDONLY);
                            f.fs.release(e.ino(), o.fh(), 0);
                        }
                        assertEquals(e.attr().ino(), f.fs.getattr(ROOT, e.ino(), 0).attr().ino());
                        f.fs.forget(e.ino(), 1);
                        seen.putIfAbsent(e.attr().ino(), e.ino());
                    }
                    return null;
                }));
            }
            for (Future<?> fu : fs) fu.get();
            ex.shutdown();
            assertEquals(1, f.fs.liveNodes()); // only the root is left
            assertEquals(files + 1, seen.size());
        }
    }

    /** When inotify watches run out, directories are served unwatched (zero timeouts still apply). */
    @ParameterizedTest
    @EnumSource(value = Handles.class, names = {"NEVER", "PREFER"})
    void watchLimitFallsBackToUnwatched(Handles h) throws Exception {
        try (Fixture f = new Fixture(PassthroughOptions.defaults().withHandles(h))) {
            f.fs.setTestWatchLimit(2); // root + one more
            Files.createDirectory(f.src.resolve("a"));
            Files.createDirectory(f.src.resolve("b"));
            Entry a = f.fs.lookup(ROOT, FileSystem.ROOT, n("a"));
            Entry b = f.fs.lookup(ROOT, FileSystem.ROOT, n("b"));
            assertEquals(1, f.fs.unwatchedDirectories());
            assertEquals(0, b.entryTimeoutNs());
            assertEquals(0, b.attrTimeoutNs());
            Files.writeString(f.src.resolve("a/x"), "x");
            assertTrue(f.inval.await("entry " + a.ino() + " x", 2000));
            Files.writeString(f.src.resolve("b/x"), "x");
            assertFalse(f.inval.drain(300).contains("entry " + b.ino() + " x"));
            // still correct through lookup: zero timeouts make the kernel ask again
            assertEquals(1, f.fs.lookup(ROOT, b.ino(), n("x")).attr().size());
            f.fs.forget(b.ino(), 1);
            assertEquals(0, f.fs.unwatchedDirectories());
        }
    }
}
