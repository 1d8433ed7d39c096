package io.strata.passthrough;

import static io.strata.passthrough.Fixture.ROOT;
import static io.strata.passthrough.Fixture.n;
import static org.junit.jupiter.api.Assertions.*;

import io.strata.core.CacheMode;
import io.strata.core.Entry;
import io.strata.core.FileSystem;
import io.strata.core.FsException;
import io.strata.passthrough.PassthroughOptions.Handles;
import io.strata.core.Errno;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class IdentityTest {
    static PassthroughOptions opts(Handles h) {
        return PassthroughOptions.defaults().withMode(CacheMode.EXCLUSIVE).withHandles(h);
    }

    @ParameterizedTest
    @EnumSource(value = Handles.class, names = {"NEVER", "PREFER"})
    void handlesModeIsWhatWasAskedFor(Handles h) throws Exception {
        try (Fixture f = new Fixture(opts(h))) {
            // We run as root on ext4 (export ops + CAP_DAC_READ_SEARCH): PREFER must pick handles.
            assertEquals(h == Handles.PREFER, f.fs.handlesInUse());
        }
    }

    @ParameterizedTest
    @EnumSource(value = Handles.class, names = {"NEVER", "PREFER"})
    void hardLinksAndRepeatedLookupsShareOneNode(Handles h) throws Exception {
        try (Fixture f = new Fixture(opts(h))) {
            Files.writeString(f.src.resolve("a"), "x");
            Files.createDirectory(f.src.resolve("d"));
            Files.createLink(f.src.resolve("d/b"), f.src.resolve("a"));
            Entry a1 = f.fs.lookup(ROOT, FileSystem.ROOT, n("a"));
            Entry a2 = f.fs.lookup(ROOT, FileSystem.ROOT, n("a"));
            assertEquals(a1.ino(), a2.ino());
            Entry d = f.fs.lookup(ROOT, FileSystem.ROOT, n("d"));
            Entry b = f.fs.lookup(ROOT, d.ino(), n("b"));
            assertEquals(a1.ino(), b.ino());
            Entry c = f.fs.link(ROOT, a1.ino(), FileSystem.ROOT, n("c"));
            assertEquals(a1.ino(), c.ino());
            assertEquals(3, c.attr().nlink());
            assertEquals(Files.getAttribute(f.src.resolve("a"), "unix:ino"), c.attr().ino());
            assertNotEquals(FileSystem.ROOT, a1.ino());
            // 4 references on the file: still alive after 3 forgets, gone after the 4th
            int live = f.fs.liveNodes();
            f.fs.forget(a1.ino(), 3);
            assertEquals(live, f.fs.liveNodes());
            f.fs.forget(a1.ino(), 1);
            assertEquals(live - 1, f.fs.liveNodes());
            // an id comes back only with a new generation: (ino, generation) never names two files
            Entry again = f.fs.lookup(ROOT, FileSystem.ROOT, n("a"));
            assertFalse(again.ino() == a1.ino() && again.generation() == a1.generation());
        }
    }

    /**
     * The virtiofsd bug: after a file is deleted on the host its inode number is reused by a new file.
     * A still-held node must never answer for the new file.
     */
    @ParameterizedTest
    @EnumSource(value = Handles.class, names = {"NEVER", "PREFER"})
    void reusedInodeNumberNeverResolvesToHeldNode(Handles h) throws Exception {
        try (Fixture f = new Fixture(opts(h))) {
            Path old = Files.writeString(f.src.resolve("old"), "old");
            Entry held = f.fs.lookup(ROOT, FileSystem.ROOT, n("old"));
            long oldIno = held.attr().ino();
            Files.delete(old);
            boolean reused = false;
            for (int i = 0; i < 500 && !reused; i++) {
                Files.writeString(f.src.resolve("n" + i), "new");
                Entry e = f.fs.lookup(ROOT, FileSystem.ROOT, n("n" + i));
                assertNotEquals(held.ino(), e.ino());
                reused = e.attr().ino() == oldIno;
            }
            if (h == Handles.PREFER) {
                // Nothing pins the deleted inode, so ext4 hands the number out again; the handle's
                // generation tells the files apart. The held node now refers to a deleted file.
                assertTrue(reused, "inode number was not reused within 500 creates");
                FsException e = assertThrows(FsException.class, () -> f.fs.getattr(ROOT, held.ino(), 0));
                assertEquals(Errno.ESTALE, e.errno());
            } else {
                // The O_PATH fd pins the inode: its number cannot be reused while the node lives.
                assertFalse(reused);
                assertEquals(0, f.fs.getattr(ROOT, held.ino(), 0).attr().nlink());
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = Handles.class, names = {"NEVER", "PREFER"})
    void afterForgetAReusedNumberGetsAFreshNode(Handles h) throws Exception {
        try (Fixture f = new Fixture(opts(h))) {
            Path p = Files.writeString(f.src.resolve("f"), "1");
            Entry e1 = f.fs.lookup(ROOT, FileSystem.ROOT, n("f"));
            Files.delete(p);
            f.fs.forget(e1.ino(), 1);
            boolean reused = false;
            for (int i = 0; i < 500 && !reused; i++) {
                Files.writeString(f.src.resolve("g" + i), "2");
                Entry e = f.fs.lookup(ROOT, FileSystem.ROOT, n("g" + i));
                assertFalse(e.ino() == e1.ino() && e.generation() == e1.generation());
                reused = e.attr().ino() == e1.attr().ino();
            }
            assertTrue(reused, "inode number was not reused within 500 creates");
        }
    }

    @ParameterizedTest
    @EnumSource(value = Handles.class, names = {"NEVER", "PREFER"})
    void forgottenNodeIsGoneAndOpenFileKeepsItAlive(Handles h) throws Exception {
        try (Fixture f = new Fixture(opts(h))) {
            Files.writeString(f.src.resolve("f"), "data");
            Entry e = f.fs.lookup(ROOT, FileSystem.ROOT, n("f"));
            var o = f.fs.open(ROOT, e.ino(), 0);
            f.fs.forget(e.ino(), 1);
            assertEquals(4, f.fs.getattr(ROOT, e.ino(), o.fh()).attr().size()); // open handle keeps it
            f.fs.release(e.ino(), o.fh(), 0);
            FsException x = assertThrows(FsException.class, () -> f.fs.getattr(ROOT, e.ino(), 0));
            assertEquals(Errno.ESTALE, x.errno());
        }
    }
}
