package io.strata.passthrough;

import static io.strata.passthrough.Fixture.ROOT;
import static io.strata.passthrough.Fixture.n;
import static org.junit.jupiter.api.Assertions.*;

import io.strata.core.Entry;
import io.strata.core.FileSystem;
import io.strata.passthrough.PassthroughOptions.Handles;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** SHARED mode: host changes become Invalidations calls. */
class InotifyInvalidationTest {
    static final long T = 2000;

    @ParameterizedTest
    @EnumSource(value = Handles.class, names = {"NEVER", "PREFER"})
    void hostChangesAreReported(Handles h) throws Exception {
        try (Fixture f = new Fixture(PassthroughOptions.defaults().withHandles(h))) {
            long r = FileSystem.ROOT;
            Files.writeString(f.src.resolve("file"), "v1");
            Entry file = f.fs.lookup(ROOT, r, n("file"));
            f.inval.drain(100);

            Files.writeString(f.src.resolve("file"), "v2", StandardOpenOption.APPEND);
            assertTrue(f.inval.await("inode " + file.ino() + " 0 0", T), "write");

            Files.setPosixFilePermissions(f.src.resolve("file"), PosixFilePermissions.fromString("rw-------"));
            assertTrue(f.inval.await("inode " + file.ino() + " -1 0", T), "chmod");

            Files.writeString(f.src.resolve("new"), "x");
            assertTrue(f.inval.await("entry " + r + " new", T), "create");

            Files.move(f.src.resolve("new"), f.src.resolve("renamed"));
            assertTrue(f.inval.await("entry " + r + " new", T), "rename from");
            assertTrue(f.inval.await("entry " + r + " renamed", T), "rename to");

            Files.delete(f.src.resolve("file"));
            assertTrue(f.inval.await("delete " + r + " " + file.ino() + " file", T), "delete");

            // a file the kernel never looked up: only the name is invalidated
            Files.delete(f.src.resolve("renamed"));
            assertTrue(f.inval.await("entry " + r + " renamed", T), "delete unknown");

            // subdirectories are watched once looked up, and no longer after forget
            Files.createDirectory(f.src.resolve("sub"));
            Entry sub = f.fs.lookup(ROOT, r, n("sub"));
            Files.writeString(f.src.resolve("sub/inner"), "x");
            assertTrue(f.inval.await("entry " + sub.ino() + " inner", T), "create in subdir");
            // a file reached through a hard link elsewhere is found by identity, not by name
            Files.createLink(f.src.resolve("sub/hl"), f.src.resolve("sub/inner"));
            Entry inner = f.fs.lookup(ROOT, sub.ino(), n("inner"));
            f.inval.drain(100);
            Files.writeString(f.src.resolve("sub/hl"), "changed through the other name");
            assertTrue(f.inval.await("inode " + inner.ino() + " 0 0", T), "write via hard link");

            f.fs.forget(sub.ino(), 1);
            f.inval.drain(100);
            Files.writeString(f.src.resolve("sub/after"), "x");
            assertFalse(f.inval.drain(300).contains("entry " + sub.ino() + " after"));
            assertEquals(0, f.fs.unwatchedDirectories());
        }
    }
}
