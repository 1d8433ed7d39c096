package io.strata.it;

import static io.strata.it.Sh.q;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.fuse.Mounter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The `strata` command as a user runs it: daemon mode, umount, signals, bad input, image tools. */
class CliTest {
    private static final String STRATA = Launcher.STRATA;

    private static Sh strata(String args) throws Exception {
        return Sh.run(STRATA + " " + args, null, 120);
    }

    private static Path mountpoint() throws Exception {
        return Files.createTempDirectory(Path.of("/tmp"), Mounted.PREFIX + "cli");
    }

    private static void cleanup(Path mnt) throws Exception {
        if (Mounted.isMounted(mnt)) Mounter.unmount(mnt, false);
        Sh.run("rm -rf " + q(mnt));
    }

    private static long daemonPid(Path mnt) throws Exception {
        return Long.parseLong(Sh.ok("pgrep -f -n 'mount .* " + mnt + "( |$)'").trim());
    }

    @Test
    void helpAndBadInputGiveClearErrors() throws Exception {
        Sh help = strata("--help");
        assertEquals(0, help.code());
        assertTrue(help.out().contains("mount memory MNT"), help.out());
        assertTrue(strata("mount --help").out().contains("cache=exclusive|writethrough|shared"));
        Sh none = strata("");
        assertEquals(2, none.code());
        Sh bogus = strata("mount memory /tmp/x -o size=12Q");
        assertEquals(2, bogus.code());
        assertTrue(bogus.out().contains("bad size '12Q'"), bogus.out());
        Sh opt = strata("mount memory /tmp/x -o frobnicate");
        assertTrue(opt.out().contains("unknown mount option frobnicate"), opt.out());
        Sh mode = strata("mount memory /tmp/x -o cache=sometimes");
        assertTrue(mode.out().contains("unknown cache mode 'sometimes'"), mode.out());
        Sh backend = strata("mount nfs /a /b");
        assertTrue(backend.out().contains("unknown backend 'nfs'"), backend.out());
        Sh image = strata("mount ext2 /nonexistent.img /tmp/x");
        assertTrue(image.out().contains("does not exist"), image.out());
        Sh notMounted = strata("umount /tmp");
        assertEquals(1, notMounted.code());
        assertTrue(notMounted.out().contains("not a FUSE mount"), notMounted.out());
    }

    @Test
    void statsAtUnmountAndOnUsr1InTheDaemonLog() throws Exception {
        Path mnt = mountpoint();
        Path logs = Files.createTempDirectory(Path.of("/tmp"), "strata-it-statslog");
        Path log = logs.resolve("with.log"), plain = logs.resolve("plain.log");
        Path mnt2 = mountpoint();
        try {
            Sh m = strata("mount memory " + q(mnt) + " --stats --log " + q(log));
            assertEquals(0, m.code(), m.out());
            long pid = daemonPid(mnt);
            int n = 30;
            Sh.run("for i in $(seq 1 " + n + "); do stat " + q(mnt) + "/new-$i >/dev/null 2>&1; done");
            Sh.ok("kill -USR1 " + pid);
            String first = waitFor(log, 1);
            assertTrue(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "SIGUSR1 does not end the daemon");
            assertTrue(count(first, "LOOKUP") >= n, "at least one LOOKUP per new name:\n" + first);
            assertEquals(0, strata("umount " + q(mnt)).code());
            ProcessHandle.of(pid).ifPresent(p -> p.onExit().join());
            String all = Files.readString(log);
            assertEquals(2, all.split("request statistics for", -1).length - 1, "one table on USR1, one at unmount:\n" + all);

            // without --stats: a table on USR1 only
            assertEquals(0, strata("mount memory " + q(mnt2) + " --log " + q(plain)).code());
            long pid2 = daemonPid(mnt2);
            Sh.ok("ls " + q(mnt2) + " && kill -USR1 " + pid2);
            waitFor(plain, 1);
            assertEquals(0, strata("umount " + q(mnt2)).code());
            ProcessHandle.of(pid2).ifPresent(p -> p.onExit().join());
            assertEquals(2, Files.readString(plain).split("request statistics for", -1).length, Files.readString(plain));
        } finally {
            cleanup(mnt);
            cleanup(mnt2);
            Sh.run("rm -rf " + q(logs));
        }
    }

    /** The log once it holds {@code tables} statistics tables (written whole, under one lock). */
    private static String waitFor(Path log, int tables) throws Exception {
        for (int i = 0; i < 200; i++) {
            String s = Files.exists(log) ? Files.readString(log) : "";
            int at = s.lastIndexOf("request statistics for");
            if (s.split("request statistics for", -1).length - 1 >= tables && s.indexOf("\n", at) > 0
                    && s.substring(at).contains("opcode")) {
                Thread.sleep(100); // the rows follow the header in the same print
                return Files.readString(log);
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no statistics table in " + log + ":\n" + (Files.exists(log) ? Files.readString(log) : "(none)"));
    }

    /** The count column of {@code opcode}'s row in the first table of {@code log}. */
    private static long count(String log, String opcode) {
        for (String line : log.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length > 2 && f[0].equals(opcode)) return Long.parseLong(f[1]);
        }
        return -1;
    }

    @Test
    void mountInBackgroundUseItAndUnmount() throws Exception {
        Path mnt = mountpoint();
        try {
            Sh m = strata("mount memory " + q(mnt) + " -o size=256M");
            assertEquals(0, m.code(), m.out());
            assertTrue(Mounted.isMounted(mnt), "mounted when the command returns");
            long pid = daemonPid(mnt);
            Sh.ok("cp -a /usr/include/linux " + q(mnt) + " && diff -r /usr/include/linux " + q(mnt.resolve("linux")));
            assertTrue(Sh.ok("df -B1M " + q(mnt)).contains("256"), "size= shows in df");
            Sh again = strata("mount memory " + q(mnt));
            assertEquals(2, again.code());
            assertTrue(again.out().contains("already a FUSE mount"), again.out());
            assertEquals(0, strata("umount " + q(mnt)).code());
            assertFalse(Mounted.isMounted(mnt));
            assertTrue(ProcessHandle.of(pid).map(p -> {
                try {
                    p.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
                    return true;
                } catch (Exception e) {
                    return false;
                }
            }).orElse(true), "the daemon exits after the unmount");
        } finally {
            cleanup(mnt);
        }
    }

    @Test
    void sigtermUnmountsAndKillNineLeavesAMountThatUmountClears() throws Exception {
        Path mnt = mountpoint();
        try {
            assertEquals(0, strata("mount memory " + q(mnt)).code());
            long pid = daemonPid(mnt);
            Sh.ok("kill -TERM " + pid);
            ProcessHandle.of(pid).ifPresent(p -> p.onExit().join());
            assertFalse(Mounted.isMounted(mnt), "SIGTERM unmounts");

            assertEquals(0, strata("mount memory " + q(mnt)).code());
            Sh.ok("kill -9 " + daemonPid(mnt));
            Thread.sleep(300);
            assertTrue(Sh.run("ls " + q(mnt)).out().contains("not connected"), "a dead mount answers ENOTCONN");
            Sh refused = strata("mount memory " + q(mnt));
            assertTrue(refused.out().contains("dead FUSE mount"), refused.out());
            Sh u = strata("umount " + q(mnt));
            assertEquals(0, u.code(), u.out());
            assertTrue(u.out().contains("lost its daemon"), u.out());
            assertFalse(Mounted.isMounted(mnt));
        } finally {
            cleanup(mnt);
        }
    }

    @Test
    void passthroughDefaultsToSharedAndSeesHostEdits() throws Exception {
        Path mnt = mountpoint();
        Path src = Files.createTempDirectory(Path.of("/tmp"), "strata-it-src");
        try {
            Files.writeString(src.resolve("f"), "one");
            assertEquals(0, strata("mount passthrough " + q(src) + " " + q(mnt)).code());
            assertEquals("one", Files.readString(mnt.resolve("f")));
            Files.writeString(src.resolve("f"), "two");
            assertEquals("two", Files.readString(mnt.resolve("f")));
            Files.writeString(mnt.resolve("g"), "from the mount");
            assertEquals("from the mount", Files.readString(src.resolve("g")));
            assertEquals(0, strata("umount " + q(mnt)).code());
        } finally {
            cleanup(mnt);
            Sh.run("rm -rf " + q(src));
        }
    }

    @Test
    void ext2ImageToolsAndMount() throws Exception {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "strata-it-ext2");
        Path mnt = mountpoint();
        try {
            Path img = dir.resolve("disk.img");
            Sh mk = strata("mkfs.ext2 " + q(img) + " 64M -d /usr/include/linux");
            assertEquals(0, mk.code(), mk.out());
            Sh.ok("e2fsck -fn " + q(img));
            Path loop = dir.resolve("loop");
            Files.createDirectories(loop);
            Sh.ok("mount -o loop,ro " + q(img) + " " + q(loop));
            try {
                Sh.ok("diff -r -x lost+found /usr/include/linux " + q(loop)); // the kernel agrees with mkfs -d
            } finally {
                Sh.run("umount " + q(loop));
            }
            assertTrue(strata("ext2 ls " + q(img) + " /").out().contains("fuse.h"));
            assertEquals(Files.readString(Path.of("/usr/include/linux/fuse.h")), strata("ext2 cat " + q(img) + " /fuse.h").out());
            assertEquals(0, strata("mount ext2 " + q(img) + " " + q(mnt)).code());
            Sh.ok("diff -r -x lost+found /usr/include/linux " + q(mnt));
            Sh.ok("mkdir " + q(mnt) + "/new && cp -a /usr/include/asm-generic " + q(mnt) + "/new/");
            assertEquals(0, strata("umount " + q(mnt)).code());
            ProcessHandle.allProcesses().filter(p -> p.info().commandLine().orElse("").contains(img.toString()))
                    .forEach(p -> p.onExit().join());
            Sh.ok("e2fsck -fn " + q(img));
            Path out = dir.resolve("rdump");
            Files.createDirectories(out);
            Sh.ok("debugfs -R 'rdump /new " + out + "' " + q(img));
            Sh.ok("diff -r /usr/include/asm-generic " + q(out.resolve("new/asm-generic")));
        } finally {
            cleanup(mnt);
            Sh.run("rm -rf " + q(dir));
        }
    }
}
