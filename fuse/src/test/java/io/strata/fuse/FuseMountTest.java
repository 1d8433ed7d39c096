package io.strata.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.core.CacheMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Mounts {@link TinyFs} through the real kernel and looks at it with coreutils. */
class FuseMountTest {
    @Test
    void servesLookupReadReaddirStatfsThroughTheKernel() throws Exception {
        Path mnt = Files.createTempDirectory(Path.of("/tmp"), "strata-fuse-test");
        TinyFs fs = new TinyFs();
        FuseSession s = FuseSession.mount(fs, mnt, FuseConfig.defaults(CacheMode.SHARED).withThreads(3));
        try {
            assertEquals("hello world\n", Files.readString(mnt.resolve("hello")));
            Sh ls = Sh.run("ls -a " + mnt);
            assertEquals(Set.of(".", "..", "hello", "sub"), Set.of(ls.out().trim().split("\\s+")));
            Sh stat = Sh.run("stat -c '%s %a %F %Y.%y' " + mnt + "/hello");
            assertTrue(stat.out().startsWith("12 644 regular file 2."), stat.out());
            assertTrue(stat.out().contains(".500000123"), "nanoseconds survive: " + stat.out());
            Sh ro = Sh.run("touch " + mnt + "/new");
            assertNotEquals(0, ro.code());
            assertTrue(ro.out().contains("Read-only"), ro.out());
            Sh missing = Sh.run("cat " + mnt + "/nope");
            assertTrue(missing.out().contains("No such file"), missing.out());
            Sh df = Sh.run("stat -f -c '%b %f %c %d' " + mnt);
            assertEquals("100 50 10 7", df.out().trim());
            Sh lk = Sh.run("flock -n " + mnt + "/hello -c 'flock -n " + mnt + "/hello true' ; echo $?");
            assertEquals("1", lk.out().trim(), "a second flock on the same file must fail while the first holds it");
        } finally {
            s.close();
            Files.deleteIfExists(mnt);
        }
        Sh mounts = Sh.run("grep -c " + mnt + " /proc/mounts");
        assertEquals("0", mounts.out().trim(), "unmounted");
    }
}
