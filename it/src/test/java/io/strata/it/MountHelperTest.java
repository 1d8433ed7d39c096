package io.strata.it;

import static io.strata.it.Sh.q;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.fuse.Mounter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * `strata install`, then mount(8) as users and fstab call it:
 * `mount -t fuse.strata SOURCE MNT -o ...` goes through mount.fuse3, which runs
 * `strata SOURCE MNT -o rw,...,dev,suid`. Every backend, an fstab line, generic options, and both
 * ways to unmount, each ending the daemon.
 *
 * <p>mount(8) runs its helpers without PATH, so mount.fuse3's {@code sh -c 'strata ...'} finds
 * programs only in the shell's default path: the test installs into /usr/local (the default
 * prefix), keeping and restoring an earlier install of ours, and refusing to touch someone else's.
 */
@Tag(Privileges.TAG)
class MountHelperTest {
    private static final Path PREFIX = Path.of("/usr/local");
    private static final Path BIN = PREFIX.resolve("bin/strata");
    private static byte[] earlier;
    private static boolean installed;
    /** Commands run through mount(8) get no PATH of ours: nothing to add. */
    private static final String env = "";

    @BeforeAll
    static void install() throws Exception {
        Privileges.assumeRootAndFuse();
        if (Files.exists(BIN, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            earlier = Files.readAllBytes(BIN);
            org.junit.jupiter.api.Assumptions.assumeTrue(new String(earlier).contains("installed by strata install"),
                    BIN + " exists and is not a strata install: not replacing it");
        }
        Sh.ok(Launcher.STRATA + " install");
        installed = true;
        assertTrue(Files.isExecutable(BIN));
    }

    @AfterAll
    static void uninstall() throws Exception {
        if (!installed) return;
        Sh.ok(Launcher.STRATA + " uninstall");
        assertFalse(Files.exists(BIN));
        if (earlier != null) {
            Files.write(BIN, earlier);
            Sh.ok("chmod 755 " + q(BIN));
        }
    }

    @Test
    void installIntoAPrefixAndUninstall() throws Exception {
        Path prefix = Files.createTempDirectory(Path.of("/tmp"), Mounted.PREFIX + "prefix");
        try {
            Sh.ok(Launcher.STRATA + " install --prefix " + q(prefix));
            assertTrue(Sh.ok(q(prefix.resolve("bin/strata")) + " --version").contains("strata"));
            assertTrue(Files.isSymbolicLink(prefix.resolve("sbin/mount.fuse.strata")));
            Files.writeString(prefix.resolve("bin/other"), "#!/bin/sh\n");
            Sh.ok(Launcher.STRATA + " uninstall --prefix " + q(prefix));
            assertFalse(Files.exists(prefix.resolve("bin/strata")));
            assertFalse(Files.exists(prefix.resolve("sbin/mount.fuse.strata"), java.nio.file.LinkOption.NOFOLLOW_LINKS));
            assertTrue(Files.exists(prefix.resolve("bin/other")), "uninstall removes only what it installed");
            // someone else's strata is never replaced
            Files.writeString(prefix.resolve("bin/strata"), "#!/bin/sh\necho theirs\n");
            Sh refused = Sh.run(Launcher.STRATA + " install --prefix " + q(prefix));
            assertTrue(refused.code() != 0 && refused.out().contains("not ours"), refused.out());
        } finally {
            Sh.rm(prefix);
        }
    }

    private static Path dir(String what) throws Exception {
        return Files.createTempDirectory(Path.of("/tmp"), Mounted.PREFIX + what);
    }

    private static long daemonPid(Path mnt) throws Exception {
        return Long.parseLong(Sh.ok("pgrep -f -n 'mount .* " + mnt + "( |$)'").trim());
    }

    private static void assertExits(long pid) {
        ProcessHandle.of(pid).ifPresent(p -> {
            try {
                p.onExit().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new AssertionError("daemon " + pid + " still runs 10 s after the unmount");
            }
        });
    }

    private static void cleanup(Path... dirs) throws Exception {
        for (Path d : dirs) {
            if (Mounted.isMounted(d)) Mounter.unmount(d, false);
            Sh.rm(d);
        }
    }

    /** The mount's line in /proc/self/mounts. */
    private static String mountLine(Path mnt) throws Exception {
        return Sh.ok("grep ' " + mnt + " ' /proc/self/mounts");
    }

    @Test
    void memoryByTypeWithGenericOptionsThenUmount() throws Exception {
        Path mnt = dir("helper-mem");
        try {
            Sh.ok(env + "mount -t fuse.strata memory " + q(mnt) + " -o noatime,nosuid,nodev,noexec,nofail,_netdev");
            assertTrue(Mounted.isMounted(mnt));
            String line = mountLine(mnt);
            assertTrue(line.contains("fuse.strata"), line);
            for (String f : new String[] {"noatime", "nosuid", "nodev", "noexec"}) assertTrue(line.contains(f), f + ": " + line);
            long pid = daemonPid(mnt);
            Sh.ok("echo hi > " + q(mnt.resolve("f")) + " && test \"$(cat " + q(mnt.resolve("f")) + ")\" = hi");
            Sh.ok("umount " + q(mnt));
            assertFalse(Mounted.isMounted(mnt));
            assertExits(pid);
        } finally {
            cleanup(mnt);
        }
    }

    @Test
    void directoryIsPassthroughAndFusermountEndsIt() throws Exception {
        Path src = dir("helper-src"), mnt = dir("helper-pt");
        try {
            Files.writeString(src.resolve("hello"), "from the host\n");
            Sh.ok(env + "mount -t fuse.strata " + q(src) + " " + q(mnt));
            String line = mountLine(mnt);
            // mount.fuse3 asks for dev,suid as root: the mount must not carry nosuid/nodev then
            assertFalse(line.contains("nosuid"), line);
            assertEquals("from the host\n", Files.readString(mnt.resolve("hello")));
            long pid = daemonPid(mnt);
            Sh.ok("fusermount3 -u " + q(mnt));
            assertFalse(Mounted.isMounted(mnt));
            assertExits(pid);
        } finally {
            cleanup(mnt, src);
        }
    }

    @Test
    void imageFileAndTypedSourceAreExt2() throws Exception {
        Path work = dir("helper-img"), mnt = work.resolve("mnt");
        Path img = work.resolve("disk.img");
        try {
            Files.createDirectory(mnt);
            Sh.ok(Launcher.STRATA + " mkfs.ext2 " + q(img) + " 16M");
            Sh.ok(env + "mount -t fuse.strata " + q(img) + " " + q(mnt));
            Sh.ok("mkdir " + q(mnt.resolve("d")) + " && echo one > " + q(mnt.resolve("d/x")));
            Sh.ok("umount " + q(mnt));
            Sh.ok(env + "mount -t fuse.strata ext2:" + q(img) + " " + q(mnt) + " -o ro");
            assertTrue(mountLine(mnt).contains(" ro,"), mountLine(mnt));
            assertEquals("one\n", Files.readString(mnt.resolve("d/x")));
            Sh.ok("umount " + q(mnt));
            Sh.ok("e2fsck -fn " + q(img));
        } finally {
            cleanup(mnt, work);
        }
    }

    @Test
    void fstabLine() throws Exception {
        Path work = dir("helper-fstab"), mnt = work.resolve("mnt"), fstab = work.resolve("fstab");
        try {
            Files.createDirectory(mnt);
            Files.writeString(fstab, "# a test fstab\nmemory " + mnt + " fuse.strata defaults,noatime,size=64M,x-systemd.automount 0 0\n");
            Sh.ok(env + "mount --fstab " + q(fstab) + " " + q(mnt));
            assertTrue(Mounted.isMounted(mnt));
            assertTrue(Sh.ok("df -B1M " + q(mnt)).contains("64"), "size= from the fstab line reaches the backend");
            Sh.ok("umount " + q(mnt));
        } finally {
            cleanup(mnt, work);
        }
    }

    @Test
    void badSourcesAndOptionsAreRefusedClearly() throws Exception {
        Path mnt = dir("helper-bad");
        try {
            Sh missing = Sh.run(env + "mount -t fuse.strata /nonexistent/src " + q(mnt));
            assertTrue(missing.code() != 0);
            assertTrue(missing.out().contains("no such file or directory"), missing.out());
            Sh opt = Sh.run(env + "mount -t fuse.strata memory " + q(mnt) + " -o frobnicate");
            assertTrue(opt.code() != 0);
            assertTrue(opt.out().contains("unknown mount option frobnicate"), opt.out());
            assertFalse(Mounted.isMounted(mnt));
        } finally {
            cleanup(mnt);
        }
    }

    /**
     * The unit in docs/examples is valid for systemd (systemd-analyze verify: syntax, and the file
     * name matching Where=), and the command systemd runs for it mounts and unmounts a working file
     * system. A running systemd is not needed, and not available in CI containers.
     */
    @Test
    void systemdUnitExample() throws Exception {
        Path unit = Launcher.REPO.resolve("docs/examples/mnt-strata.mount");
        java.util.Map<String, String> mount = new java.util.HashMap<>();
        boolean inMount = false;
        for (String line : Files.readAllLines(unit)) {
            String l = line.strip();
            if (l.startsWith("[")) inMount = l.equals("[Mount]");
            else if (inMount && !l.startsWith("#") && l.contains("=")) mount.put(l.substring(0, l.indexOf('=')), l.substring(l.indexOf('=') + 1));
        }
        assertEquals("fuse.strata", mount.get("Type"));
        assertEquals(unit.getFileName().toString(), Sh.ok("systemd-escape -p --suffix=mount " + q(mount.get("Where"))).trim());
        Sh verify = Sh.run("command -v systemd-analyze >/dev/null && cd " + q(unit.getParent()) + " && systemd-analyze verify --man=no ./"
                + unit.getFileName() + " 2>&1", null, 60);
        assertEquals(0, verify.code(), "systemd-analyze verify: " + verify.out());
        Path mnt = dir("helper-systemd");
        try {
            // what systemd's mount unit runs, with the mount point moved to a temp dir
            Sh.ok(env + "mount " + mount.get("What") + " " + q(mnt) + " -t " + mount.get("Type") + " -o " + mount.get("Options"));
            assertTrue(Mounted.isMounted(mnt));
            assertTrue(Sh.ok("findmnt -n -o OPTIONS " + q(mnt)).contains("noatime"));
            Sh.ok("echo hello > " + q(mnt.resolve("f")) + " && grep -q hello " + q(mnt.resolve("f")));
            assertTrue(Sh.ok("df -B1G " + q(mnt)).contains(" 1 "), "size= reaches the backend");
            long pid = daemonPid(mnt);
            Sh.ok("umount " + q(mnt));
            assertExits(pid);
        } finally {
            cleanup(mnt);
        }
    }

    /**
     * mount.fuse3's drop_privileges: it opens /dev/fuse, mounts, drops every capability and runs
     * `strata SOURCE /dev/fd/N`. The daemon serves that descriptor (without capabilities), ends at
     * the unmount, and a refusal says how to clear the mount mount.fuse3 left.
     */
    @Test
    void dropPrivilegesServesThePreopenedDevice() throws Exception {
        Path mnt = dir("helper-dropcaps");
        try {
            Sh m = Sh.run(env + "mount -t fuse.strata memory " + q(mnt) + " -o drop_privileges,size=64M");
            assertEquals(0, m.code(), m.out());
            long pid = Long.parseLong(m.out().replaceAll("(?s).*daemon pid (\\d+).*", "$1"));
            Sh.ok("echo hello > " + q(mnt.resolve("f")) + " && grep -q hello " + q(mnt.resolve("f")));
            assertTrue(Sh.ok("df -B1M " + q(mnt)).contains(" 64 "), "size= reaches the backend");
            String caps = Files.readString(Path.of("/proc/" + pid + "/status")).replaceAll("(?s).*CapEff:\\s*(\\w+).*", "$1");
            assertEquals(0L, Long.parseLong(caps, 16), "the daemon runs without capabilities");
            Sh.ok("umount " + q(mnt));
            assertExits(pid);
            Sh bad = Sh.run(env + "mount -t fuse.strata /nonexistent/src " + q(mnt) + " -o drop_privileges");
            assertTrue(bad.code() != 0, bad.out());
            assertTrue(bad.out().contains("no such file or directory") && bad.out().contains("clear that mount with umount"), bad.out());
        } finally {
            cleanup(mnt);
        }
    }
}
