package io.strata.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.core.CacheMode;
import io.strata.fuse.FuseConfig;
import io.strata.sys.Libc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class MountHelperArgsTest {

    @Test
    void sourceNamesTheBackend() throws Exception {
        Path dir = Files.createTempDirectory("strata-helper");
        Path img = Files.createFile(dir.resolve("disk.img"));
        try {
            assertEquals(List.of("memory"), MountHelper.backendOf("memory"));
            assertEquals(List.of("memory"), MountHelper.backendOf("memory:"));
            assertEquals(List.of("passthrough", dir.toString()), MountHelper.backendOf(dir.toString()));
            assertEquals(List.of("ext2", img.toString()), MountHelper.backendOf(img.toString()));
            assertEquals(List.of("ext2", "/x.img"), MountHelper.backendOf("ext2:/x.img"));
            assertEquals(List.of("passthrough", "/srv"), MountHelper.backendOf("passthrough:/srv"));
            UsageException missing = assertThrows(UsageException.class, () -> MountHelper.backendOf("/nonexistent/x"));
            assertTrue(missing.getMessage().contains("no such file or directory"), missing.getMessage());
            assertThrows(UsageException.class, () -> MountHelper.backendOf("nfs:/x"));
            assertThrows(UsageException.class, () -> MountHelper.backendOf("ext2:"));
        } finally {
            Files.delete(img);
            Files.delete(dir);
        }
    }

    @Test
    void helperCallShape() {
        assertTrue(MountHelper.isHelperCall(new String[] {"memory", "/mnt", "-o", "rw"}));
        assertFalse(MountHelper.isHelperCall(new String[] {"frobnicate"}));
        assertFalse(MountHelper.isHelperCall(new String[] {"memory", "-o"}));
    }

    @Test
    void genericOptionsSetFlagsOrAreIgnored() throws Exception {
        MountOptions def = MountOptions.parse(List.of(), CacheMode.SHARED);
        assertEquals(FuseConfig.DEFAULT_VFS_FLAGS, def.vfsFlags());
        // what mount.fuse3 sends for root: dev,suid clear the defaults
        MountOptions helper = MountOptions.parse(List.of("rw,noatime,dev,suid"), CacheMode.SHARED);
        assertEquals(Libc.MS_NOATIME, helper.vfsFlags());
        assertTrue(helper.dev());
        MountOptions more = MountOptions.parse(List.of("defaults,nofail,_netdev,x-systemd.automount,comment=x,noexec,relatime"),
                CacheMode.SHARED);
        assertEquals(FuseConfig.DEFAULT_VFS_FLAGS | Libc.MS_NOEXEC | Libc.MS_RELATIME, more.vfsFlags());
        // later wins, and the atime modes exclude each other
        assertEquals(FuseConfig.DEFAULT_VFS_FLAGS | Libc.MS_RELATIME,
                MountOptions.parse(List.of("noatime", "relatime"), CacheMode.SHARED).vfsFlags());
        UsageException bad = assertThrows(UsageException.class, () -> MountOptions.parse(List.of("frobnicate"), CacheMode.SHARED));
        assertTrue(bad.getMessage().contains("unknown mount option frobnicate"), bad.getMessage());
    }

    @Test
    void redirectDirIsAUnionOption() throws Exception {
        MountOptions o = MountOptions.parse(List.of("lowerdir=/l,upperdir=/u,workdir=/w,redirect_dir=follow"), CacheMode.SHARED);
        assertEquals("follow", o.union().redirectDir());
        UsageException bad = assertThrows(UsageException.class, () -> UnionStack.check(
                MountOptions.parse(List.of("lowerdir=/l,redirect_dir=sideways"), CacheMode.SHARED).union()));
        assertTrue(bad.getMessage().contains("redirect_dir"), bad.getMessage());
    }
}
