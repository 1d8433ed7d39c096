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

    @Test
    void aFullMemoryFileSystemSaysSoAtTheWriteAndKeepsAnHonestSize() throws Exception {
        Path mnt = dir("edges-full");
        try {
            assertEquals(0, strata("mount memory " + q(mnt) + " -o size=32M").code());
            Sh.ok("echo kept > " + q(mnt.resolve("keep")));
            Sh dd = Sh.run("dd if=/dev/urandom of=" + q(mnt.resolve("big")) + " bs=1M count=64 2>&1", null, 60);
            assertTrue(dd.code() != 0, dd.out());
            // the write itself fails (as on tmpfs), not only the close that comes later
            assertTrue(dd.out().contains("error writing") && dd.out().contains("No space left"), dd.out());
            long copied = Long.parseLong(dd.out().replaceAll("(?s).*\\n(\\d+) bytes.*", "$1"));
            long size = Long.parseLong(Sh.ok("stat -c %s " + q(mnt.resolve("big"))).trim());
            assertEquals(copied, size, "the file's size is what was stored");
            assertTrue(size <= 32L << 20, "never more than the file system holds: " + size);
            assertEquals(size, Long.parseLong(Sh.ok("cat " + q(mnt.resolve("big")) + " | wc -c").trim()), "every byte it reports reads back");
            assertEquals("kept", Sh.ok("cat " + q(mnt.resolve("keep"))).trim(), "nothing stored earlier is lost");
            Sh.ok("rm " + q(mnt.resolve("big")) + " && echo again > " + q(mnt.resolve("again")));
        } finally {
            cleanup(mnt);
        }
    }

    @Test
    void theDaemonEndsWithinASecondOfItsUnmountHoweverItIsUnmounted() throws Exception {
        Path src = dir("edges-exit-src");
        for (String how : new String[] {"umount", "fusermount3 -u", STRATA + " umount"}) {
            Path mnt = dir("edges-exit");
            try {
                assertEquals(0, strata("mount passthrough " + q(src) + " " + q(mnt)).code());
                Sh.ok("echo x > " + q(mnt.resolve("f")) + " && cat " + q(mnt.resolve("f")));
                String listed = strata("list").out();
                String line = listed.lines().filter(l -> l.startsWith(mnt + " ")).findFirst().orElseThrow(() -> new AssertionError(listed));
                String[] cols = line.split("\\s+");
                assertEquals("passthrough", cols[1], line);
                assertEquals(src.toString(), cols[2], line);
                assertEquals("shared", cols[3], line);
                long pid = Long.parseLong(cols[4]);
                assertTrue(cols[5].endsWith(".log"), line);
                long t0 = System.nanoTime();
                Sh.ok(how + " " + q(mnt));
                while (running(pid) && System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(10)) Thread.sleep(5);
                long ms = (System.nanoTime() - t0) / 1_000_000;
                assertFalse(running(pid), "daemon still runs 10 s after " + how);
                assertTrue(ms < 1000, "the daemon ended " + ms + " ms after " + how);
                assertFalse(strata("list").out().contains(mnt.toString()), "list forgets the mount");
            } finally {
                cleanup(mnt);
            }
        }
        cleanup(src);
    }

    /** Running: not gone and not a zombie (a zombie holds no memory or files; its reaper is init). */
    private static boolean running(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            return state != 'Z' && state != 'X';
        } catch (java.io.IOException e) {
            return false;
        }
    }

    @Test
    void aReadOnlyFallbackIsAnnouncedAndShownInTheMountFlags() throws Exception {
        Path work = dir("edges-ext3"), mnt = work.resolve("mnt"), img = work.resolve("e3.img");
        try {
            Files.createDirectories(mnt);
            Sh.ok("mke2fs -q -F -t ext3 " + q(img) + " 32M");
            Sh m = strata("mount ext2 " + q(img) + " " + q(mnt));
            assertEquals(0, m.code(), m.out());
            assertTrue(m.out().contains("read-only") && m.out().contains("journal"), "said on the terminal:\n" + m.out());
            String opts = Sh.ok("findmnt -n -o OPTIONS " + q(mnt)).trim();
            assertTrue(opts.startsWith("ro,"), "/proc/mounts says ro: " + opts);
            Sh touch = Sh.run("touch " + q(mnt.resolve("x")) + " 2>&1", null, 30);
            assertTrue(touch.code() != 0 && touch.out().contains("Read-only file system"), touch.out());
            String log = strata("list").out().lines().filter(l -> l.startsWith(mnt + " ")).findFirst().orElseThrow().replaceAll(".*\\s", "");
            // one line per log record: the level and the message together, no "Nov 22, 2026 ... Class method" line
            for (String line : Files.readAllLines(Path.of(log))) {
                assertFalse(line.matches("^[A-Z][a-z]{2} \\d+, \\d{4} .*"), "a two-line java.util.logging record: " + line);
                if (line.contains("WARNING")) assertTrue(line.contains("journal"), line);
            }
            Sh.ok(STRATA + " umount " + q(mnt));
            Sh asked = strata("mount ext2 " + q(img) + " " + q(mnt) + " -o ro");
            assertEquals(0, asked.code(), asked.out());
            assertFalse(asked.out().contains("note"), "no note when ro was asked for: " + asked.out());
        } finally {
            cleanup(mnt, work);
        }
    }
}
