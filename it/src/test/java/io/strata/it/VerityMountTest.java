package io.strata.it;

import static io.strata.it.Sh.q;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.fuse.Mounter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * `-o verity` on real mounts, driven by the stock fsverity tool (the kernel forwards its ioctls to
 * the daemon): enable, measure = `fsverity digest` of the same bytes, writes refused, the state kept
 * across a remount, and a byte flipped below the mount gives EIO for its block only.
 */
@Tag(Privileges.TAG)
class VerityMountTest {
    private static final String STRATA = Launcher.STRATA;

    private static void cleanup(Path work, Path mnt) throws Exception {
        if (Mounted.isMounted(mnt)) Mounter.unmount(mnt, false);
        Sh.rm(work);
    }

    /** Enables verity on MNT/f (3 blocks + a bit) and checks measure, refusals; returns the digest. */
    private static String enableAndCheck(Path mnt, Path copy) throws Exception {
        Path f = mnt.resolve("f");
        Sh.ok("fsverity enable " + q(f));
        String measured = Sh.ok("fsverity measure " + q(f)).split(" ")[0];
        String expected = Sh.ok("fsverity digest " + q(copy)).split(" ")[0];
        assertEquals(expected, measured, "measure through the mount = fsverity digest of the same bytes");
        Sh append = Sh.run("echo more >> " + q(f));
        assertTrue(append.code() != 0 && append.out().contains("Operation not permitted"), append.out());
        Sh trunc = Sh.run("truncate -s 0 " + q(f));
        assertTrue(trunc.code() != 0, trunc.out());
        assertTrue(Sh.ok("lsattr " + q(f)).contains("V"), "statx/lsattr show the verity flag");
        assertEquals(Sh.ok("md5sum < " + q(copy)), Sh.ok("cat " + q(f) + " | md5sum"), "verified reads give the bytes");
        return measured;
    }

    /** Reads block N (4 KiB) through the mount after a remount (no page cache). */
    private static Sh readBlock(Path f, int n) throws Exception {
        return Sh.run("dd if=" + q(f) + " bs=4096 skip=" + n + " count=1 status=none | md5sum");
    }

    @Test
    void passthroughEnableMeasureRemountTamper() throws Exception {
        Path work = Files.createTempDirectory(Path.of("/tmp"), Mounted.PREFIX + "verity-pt");
        Path src = work.resolve("src"), mnt = work.resolve("mnt"), copy = work.resolve("copy");
        try {
            Sh.ok("mkdir -p " + q(src) + " " + q(mnt) + " && head -c 13000 /dev/urandom > " + q(copy) + " && cp " + q(copy) + " "
                    + q(src.resolve("f")));
            String mount = STRATA + " mount passthrough " + q(src) + " " + q(mnt) + " -o verity,cache=exclusive";
            Sh.ok(mount);
            String digest = enableAndCheck(mnt, copy);
            assertEquals("", Sh.ok("ls -A " + q(mnt)).replace("f\n", ""), "the tree store is invisible through the mount");
            Sh.ok(STRATA + " umount " + q(mnt));

            Sh.ok(mount);
            assertEquals(digest, Sh.ok("fsverity measure " + q(mnt.resolve("f"))).split(" ")[0], "kept across a remount");
            Sh.ok(STRATA + " umount " + q(mnt));

            // tamper with block 1 on the host, behind the mount's back
            Sh.ok("printf '\\xff' | dd of=" + q(src.resolve("f")) + " bs=1 seek=5000 conv=notrunc status=none");
            Sh.ok(mount);
            Path f = mnt.resolve("f");
            Sh bad = readBlock(f, 1);
            assertTrue(bad.out().contains("Input/output error"), "the tampered block gives EIO:\n" + bad.out());
            assertEquals(Sh.ok("dd if=" + q(copy) + " bs=4096 skip=0 count=1 status=none | md5sum"), readBlock(f, 0).out());
            assertEquals(Sh.ok("dd if=" + q(copy) + " bs=4096 skip=2 count=1 status=none | md5sum"), readBlock(f, 2).out());
            assertNotEquals(0, Sh.run("cp " + q(f) + " " + q(work.resolve("out"))).code(), "cp of a tampered file fails");
            assertTrue(Sh.ok("cat " + q(Path.of("/run/strata/" + mnt.toString().replace('/', '_') + ".log")) + " || true")
                    .matches("(?s).*(block 1|block=1).*"), "the log names the block");
        } finally {
            cleanup(work, mnt);
        }
    }

    @Test
    void ext2AndMemoryBackends() throws Exception {
        Path work = Files.createTempDirectory(Path.of("/tmp"), Mounted.PREFIX + "verity-e2");
        Path img = work.resolve("disk.img"), mnt = work.resolve("mnt"), copy = work.resolve("copy");
        try {
            Sh.ok("mkdir -p " + q(mnt) + " && head -c 13000 /dev/urandom > " + q(copy));
            Sh.ok(STRATA + " mkfs.ext2 " + q(img) + " 16M");
            String mount = STRATA + " mount ext2 " + q(img) + " " + q(mnt) + " -o verity";
            Sh.ok(mount);
            Sh.ok("cp " + q(copy) + " " + q(mnt.resolve("f")));
            String digest = enableAndCheck(mnt, copy);
            Sh.ok(STRATA + " umount " + q(mnt));
            Sh.ok("e2fsck -fn " + q(img));
            Sh.ok(mount);
            assertEquals(digest, Sh.ok("fsverity measure " + q(mnt.resolve("f"))).split(" ")[0], "kept in the image");
            Sh.ok(STRATA + " umount " + q(mnt));

            Sh.ok(STRATA + " mount memory " + q(mnt) + " -o verity,size=64M");
            Sh.ok("cp " + q(copy) + " " + q(mnt.resolve("f")));
            enableAndCheck(mnt, copy);
            Sh.ok(STRATA + " umount " + q(mnt));
        } finally {
            cleanup(work, mnt);
        }
    }
}
