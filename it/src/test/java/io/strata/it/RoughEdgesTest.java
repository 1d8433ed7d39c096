package io.strata.it;

import static io.strata.it.Sh.q;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.fuse.Mounter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** What a new user hits first: each of these was a defect (issue 12) and must stay fixed. */
@Tag(Privileges.TAG)
class RoughEdgesTest {
    private static final String STRATA = Launcher.STRATA;

    private static Sh strata(String args) throws Exception {
        return Sh.run(STRATA + " " + args, null, 120);
    }

    private static Path dir(String what) throws Exception {
        return Files.createTempDirectory(Path.of("/tmp"), Mounted.PREFIX + what);
    }

    private static void cleanup(Path... dirs) throws Exception {
        for (Path d : dirs) {
            if (Mounted.isMounted(d)) Mounter.unmount(d, false);
            Sh.rm(d);
        }
    }

    private static void assertNoStackTrace(Sh r) {
        assertFalse(r.out().contains("Exception") || r.out().contains("\tat "), "a stack trace reached the user:\n" + r.out());
    }

    @Test
    void missingMountPointAndSourceAreNamed() throws Exception {
        Path base = dir("edges");
        try {
            Path missing = base.resolve("no/such/mnt");
            Sh m = strata("mount memory " + q(missing));
            assertEquals(2, m.code(), m.out());
            assertTrue(m.out().contains("does not exist"), m.out());
            assertFalse(Files.exists(missing), "the mount point must not be created");
            Sh src = strata("mount passthrough " + q(base.resolve("nosrc")) + " " + q(base));
            assertTrue(src.out().contains("source " + base.resolve("nosrc") + " does not exist"), src.out());
        } finally {
            cleanup(base);
        }
    }

    @Test
    void impossibleMemorySizesAreRefusedWithoutAStackTrace() throws Exception {
        Path mnt = dir("edges-size");
        try {
            Sh tiny = strata("mount memory " + q(mnt) + " -o size=1");
            assertEquals(2, tiny.code(), tiny.out());
            assertTrue(tiny.out().contains("too small"), tiny.out());
            assertNoStackTrace(tiny);
            Sh huge = strata("mount memory " + q(mnt) + " -o size=100T");
            assertEquals(2, huge.code(), huge.out());
            assertTrue(huge.out().contains("more than the daemon's heap can hold"), huge.out());
            Sh heap = Sh.run("STRATA_JAVA_OPTS=-Xmx256m " + STRATA + " mount memory " + q(mnt) + " -o size=2G", null, 60);
            assertEquals(2, heap.code(), heap.out());
            assertFalse(Mounted.isMounted(mnt));
        } finally {
            cleanup(mnt);
        }
    }

    @Test
    void twoMountsOnOneDirectoryAtOnceGiveOneMount() throws Exception {
        Path mnt = dir("edges-race");
        try {
            Sh both = Sh.run("(" + STRATA + " mount memory " + q(mnt) + " -o size=16M; echo rc=$?) & (" + STRATA + " mount memory "
                    + q(mnt) + " -o size=16M; echo rc=$?) & wait", null, 120);
            assertEquals(1, both.out().split("rc=0", -1).length - 1, "exactly one succeeds:\n" + both.out());
            assertEquals(1, both.out().split("rc=[12]", -1).length - 1, "the other fails:\n" + both.out());
            assertEquals("1", Sh.ok("grep -c ' " + mnt + " ' /proc/self/mounts").trim(), "one mount, not two stacked");
            assertNoStackTrace(both);
        } finally {
            cleanup(mnt);
        }
    }

    @Test
    void aMountedImageIsNotWrittenBehindItsBack() throws Exception {
        Path work = dir("edges-img"), mnt = work.resolve("mnt"), mnt2 = work.resolve("mnt2"), img = work.resolve("disk.img");
        try {
            Files.createDirectories(mnt);
            Files.createDirectories(mnt2);
            Files.writeString(work.resolve("f"), "x\n");
            Sh.ok(STRATA + " mkfs.ext2 " + q(img) + " 16M");
            Sh.ok(STRATA + " mount ext2 " + q(img) + " " + q(mnt));
            long pid = Long.parseLong(Sh.ok("pgrep -f -n 'mount ext2 .*" + mnt + "( |$)'").trim());
            Sh put = strata("ext2 put " + q(img) + " " + q(work.resolve("f")) + " /f");
            assertTrue(put.code() != 0, put.out());
            assertTrue(put.out().contains("in use by process " + pid), "names the holder:\n" + put.out());
            Sh mkfs = strata("mkfs.ext2 " + q(img) + " 16M");
            assertTrue(mkfs.code() != 0 && mkfs.out().contains("in use"), mkfs.out());
            Sh second = strata("mount ext2 " + q(img) + " " + q(mnt2));
            assertTrue(second.code() != 0 && second.out().contains("in use by process " + pid), second.out());
            // read-only opens stay allowed
            assertEquals(0, strata("ext2 ls " + q(img) + " /").code());
            Sh.ok(STRATA + " umount " + q(mnt));
            ProcessHandle.of(pid).ifPresent(p -> p.onExit().orTimeout(10, TimeUnit.SECONDS).join());
            assertEquals(0, strata("ext2 put " + q(img) + " " + q(work.resolve("f")) + " /f").code());
            Sh.ok("e2fsck -fn " + q(img));
        } finally {
            cleanup(mnt, mnt2, work);
        }
    }

    @Test
    void foregroundCtrlCIsACleanExit() throws Exception {
        Path mnt = dir("edges-fg");
        try {
            Process p = new ProcessBuilder("bash", "-c", "exec " + STRATA + " mount memory " + q(mnt) + " -f -o size=16M")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Mounted.isMounted(mnt) && System.nanoTime() < deadline && p.isAlive()) Thread.sleep(50);
            assertTrue(Mounted.isMounted(mnt), "mounted in the foreground");
            Sh.ok("kill -INT " + p.pid());
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "exits after Ctrl-C");
            assertEquals(0, p.exitValue(), "a clean unmount by Ctrl-C exits 0");
            assertFalse(Mounted.isMounted(mnt));
        } finally {
            cleanup(mnt);
        }
    }
}
