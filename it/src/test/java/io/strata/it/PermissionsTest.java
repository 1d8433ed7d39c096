package io.strata.it;

import static io.strata.it.Sh.q;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.core.CacheMode;
import io.strata.fuse.FuseConfig;
import io.strata.fuse.Mounter;
import io.strata.memory.MemoryFileSystem;
import io.strata.memory.MemoryOptions;
import io.strata.passthrough.PassthroughFileSystem;
import io.strata.passthrough.PassthroughOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;

/** Non-root users through a mount (allow_other + default_permissions), and non-root mounting. */
class PermissionsTest {
    private static final String NOBODY = "setpriv --reuid=65534 --regid=65534 --clear-groups ";

    /** The same expectations for any backend: root prepared the tree, nobody tries things. */
    private static void checkAsNobody(Path mnt, Path hostView) throws Exception {
        assertNotEquals(0, Sh.run(NOBODY + "cat " + q(mnt.resolve("secret"))).code(), "0600 root file is unreadable");
        assertEquals("public\n", Sh.ok(NOBODY + "cat " + q(mnt.resolve("public"))));
        Sh w = Sh.run(NOBODY + "sh -c 'echo x >> " + mnt.resolve("public") + "'");
        assertTrue(w.code() != 0 && w.out().contains("Permission denied"), w.out());
        Sh c = Sh.run(NOBODY + "touch " + q(mnt.resolve("rootdir/x")));
        assertTrue(c.code() != 0 && c.out().contains("Permission denied"), c.out());
        Sh.ok(NOBODY + "touch " + q(mnt.resolve("userdir/mine")));
        assertEquals("65534:65534", Sh.ok("stat -c %u:%g " + q(hostView.resolve("userdir/mine"))).trim(),
                "a file made by nobody belongs to nobody");
        Sh ch = Sh.run(NOBODY + "chmod 777 " + q(mnt.resolve("secret")));
        assertTrue(ch.code() != 0 && ch.out().contains("Operation not permitted"), ch.out());
        Sh st = Sh.run(NOBODY + "rm " + q(mnt.resolve("sticky/rootfile")));
        assertTrue(st.code() != 0, "the sticky bit protects other users' files: " + st.out());
    }

    private static void prepare(Path root) throws Exception {
        Sh.ok("cd " + q(root) + " && echo secret > secret && chmod 600 secret && echo public > public && chmod 644 public"
                + " && mkdir -m 755 rootdir && mkdir -m 755 userdir && chown 65534:65534 userdir"
                + " && mkdir -m 1777 sticky && touch sticky/rootfile");
    }

    @Test
    void passthroughRespectsModeBitsForOtherUsers() throws Exception {
        Path src = Files.createTempDirectory(Path.of("/tmp"), "strata-it-src");
        Files.setPosixFilePermissions(src, PosixFilePermissions.fromString("rwxr-xr-x"));
        prepare(src);
        var fs = PassthroughFileSystem.open(src, new PassthroughOptions(CacheMode.SHARED,
                PassthroughOptions.Handles.NEVER, false, true, false));
        try (Mounted m = Mounted.mount(fs, FuseConfig.defaults(CacheMode.SHARED).withAccess(true, true, false)).withSource(src)) {
            checkAsNobody(m.dir, src);
            Sh dev = Sh.run("mknod " + q(m.path("null2")) + " c 1 3");
            assertNotEquals(0, dev.code(), "device nodes are refused without -o dev: " + dev.out());
        }
    }

    @Test
    void memoryRespectsModeBitsForOtherUsers() throws Exception {
        var fs = new MemoryFileSystem(MemoryOptions.defaults(0, 0).withSizeLimit(64L << 20));
        try (Mounted m = Mounted.mount(fs, FuseConfig.defaults(CacheMode.EXCLUSIVE).withAccess(true, true, false))) {
            prepare(m.dir);
            checkAsNobody(m.dir, m.dir);
        }
    }

    @Test
    void memoryChecksPermissionsItselfWithoutDefaultPermissions() throws Exception {
        var fs = new MemoryFileSystem(MemoryOptions.defaults(0, 0).withSizeLimit(64L << 20));
        try (Mounted m = Mounted.mount(fs, FuseConfig.defaults(CacheMode.EXCLUSIVE).withAccess(true, false, false))) {
            prepare(m.dir);
            checkAsNobody(m.dir, m.dir);
        }
    }

    /**
     * Without root, strata mounts through fusermount3, which hands /dev/fuse back over a socket.
     * Debian makes /dev/fuse 0666; some VMs ship it 0600, so the test opens it up for its
     * duration and restores the original mode.
     */
    @Test
    void unprivilegedUserMountsThroughFusermount3() throws Exception {
        String strata = NOBODY + "env HOME=/tmp " + Launcher.STRATA + " ";
        String mode = Sh.ok("stat -c %a /dev/fuse").trim();
        Path mnt = Files.createTempDirectory(Path.of("/tmp"), Mounted.PREFIX + "user");
        Sh.ok("chown 65534:65534 " + q(mnt));
        try {
            Sh.ok("chmod 666 /dev/fuse");
            Sh m = Sh.run(strata + "mount memory " + q(mnt) + " -o size=32M", Path.of("/tmp"), 60);
            assertEquals(0, m.code(), m.out());
            assertTrue(Sh.ok("grep " + q(mnt) + " /proc/mounts").contains("user_id=65534"), "mounted by nobody");
            Sh.ok(NOBODY + "sh -c 'echo hi > " + mnt.resolve("f") + "'");
            assertEquals("hi\n", Sh.ok(NOBODY + "cat " + q(mnt.resolve("f"))));
            Sh u = Sh.run(strata + "umount " + q(mnt), Path.of("/tmp"), 60);
            assertEquals(0, u.code(), u.out());
            assertTrue(!Mounted.isMounted(mnt));
        } finally {
            Sh.run("chmod " + mode + " /dev/fuse");
            if (Mounted.isMounted(mnt)) Mounter.unmount(mnt, false);
            Sh.rm(mnt);
        }
    }
}
