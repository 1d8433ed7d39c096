package io.strata.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * One file system, two mounts at once: each mount is a session of its own, unmounting one leaves
 * the other serving, and neither closes the file system (its owner, this test, does).
 */
class TwoMountsTest {
    @Test
    void oneFileSystemMountedTwiceSurvivesTheFirstUnmount() throws Exception {
        TinyFs fs = new TinyFs();
        Path a = Files.createTempDirectory(Path.of("/tmp"), "strata-fuse-a");
        Path b = Files.createTempDirectory(Path.of("/tmp"), "strata-fuse-b");
        FuseSession first = null, second = null;
        try {
            first = FuseSession.mount(fs, a, FuseConfig.defaults().withThreads(2));
            second = FuseSession.mount(fs, b, FuseConfig.defaults().withThreads(2));
            assertEquals("hello world\n", Files.readString(a.resolve("hello")));
            assertEquals("hello world\n", Files.readString(b.resolve("hello")));
            assertTrue(first.session().held(2) >= 1, "mount A holds a reference on hello");
            assertTrue(second.session().held(2) >= 1, "mount B holds its own");
            long forgotBefore = fs.forgets.get();
            long heldByA = 0;
            for (long ino = 2; ino <= 6; ino++) heldByA += first.session().held(ino);

            first.close();
            assertTrue(first.session().isClosed());
            assertEquals("0", Sh.run("grep -c ' " + a + " ' /proc/mounts").out().trim(), "A is unmounted");
            assertEquals(forgotBefore + heldByA, fs.forgets.get(),
                    "detaching A forgot exactly what A held (the kernel may have sent some FORGETs itself)");
            assertTrue(second.session().held(2) >= 1, "B's references are untouched");
            assertEquals("hello world\n", Files.readString(b.resolve("hello")), "B still serves");
            assertEquals("ff", Sh.run("cat \"" + b + "/$(printf '\\377')\"").out().trim());
            assertEquals("1", Sh.run("grep -c ' " + b + " ' /proc/mounts").out().trim());
            assertEquals(0, fs.closes.get());
        } finally {
            if (first != null) first.close();
            if (second != null) second.close();
            Files.deleteIfExists(a);
            Files.deleteIfExists(b);
        }
        assertEquals(0, fs.closes.get(), "FuseSession never closes the file system");
        fs.close(); // the owner does
        assertEquals(fs.lookups.get(), fs.forgets.get(), "every reference handed out came back");
        assertEquals("0", Sh.run("grep -c strata-fuse- /proc/mounts").out().trim());
    }
}
