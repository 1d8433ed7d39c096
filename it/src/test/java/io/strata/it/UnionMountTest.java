package io.strata.it;

import static io.strata.it.Sh.q;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.fuse.Mounter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The union through `strata mount union`, driven by real programs over a lower that holds a
 * header tree and a git repository; then the same lower+upper mounted by the kernel's overlayfs
 * must show exactly the tree Strata showed (whiteouts, opaque dirs and copied-up files included).
 */
@Tag(Privileges.TAG)
class UnionMountTest {
    private static final String STRATA = Launcher.STRATA;

    /** Type, mode, owner, size (files), link target and path of every entry, plus file checksums. */
    private static String manifest(Path root) throws Exception {
        return Sh.ok("cd " + q(root) + " && find . -mindepth 1 \\( -type d -printf '%y %m %U:%G - %p\\n' \\) -o "
                + "\\( ! -type d -printf '%y %m %U:%G %s %l %p\\n' \\) | LC_ALL=C sort && "
                + "find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r md5sum");
    }

    private static void cleanup(Path work, Path... mounts) throws Exception {
        for (Path m : mounts) {
            if (Mounted.isMounted(m)) {
                if (Sh.run("grep -q ' " + m + " overlay ' /proc/self/mounts").code() == 0) Sh.run("umount " + q(m));
                else Mounter.unmount(m, false);
            }
        }
        Sh.rm(work);
    }

    @Test
    void realProgramsOnAUnionThenTheKernelOverlaySeesTheSameTree() throws Exception {
        Path work = Files.createTempDirectory(Path.of("/tmp"), Mounted.PREFIX + "union");
        Path lower = work.resolve("lower"), upper = work.resolve("upper"), wd = work.resolve("work");
        Path mnt = work.resolve("mnt"), kmnt = work.resolve("kmnt");
        try {
            Sh.ok("mkdir -p " + q(lower) + " " + q(upper) + " " + q(wd) + " " + q(mnt) + " " + q(kmnt));
            Sh.ok("cp -a /usr/include/linux " + q(lower.resolve("linux")));
            Sh.ok("tar -cf " + q(work.resolve("linux.tar")) + " -C /usr/include linux/can linux/netfilter_ipv4");
            Path repo = lower.resolve("repo");
            Sh.ok("git init -q " + q(repo) + " && cd " + q(repo) + " && git config user.email t@t && git config user.name t && "
                    + "cp /usr/include/stdio.h /usr/include/stdlib.h . && mkdir src && echo 'int main(){}' > src/m.c && "
                    + "git add -A && git commit -qm one && echo '// two' >> stdio.h && git commit -qam two");
            String lowerBefore = manifest(lower);

            Sh m = Sh.run(STRATA + " mount union " + q(mnt) + " -o lowerdir=" + lower + ",upperdir=" + upper + ",workdir=" + wd,
                    null, 120);
            assertEquals(0, m.code(), m.out());
            assertEquals(manifest(lower), manifest(mnt), "a fresh union shows the lower exactly");

            // tar over existing lower files, rm -rf of a lower tree, cp -a, mv, chmod, a new dir over a removed one
            Sh.ok("tar -xf " + q(work.resolve("linux.tar")) + " -C " + q(mnt) + " && sync -f " + q(mnt));
            Sh.ok("rm -rf " + q(mnt.resolve("linux/netfilter")) + " " + q(mnt.resolve("linux/usb")));
            Sh.ok("mkdir " + q(mnt.resolve("linux/usb")) + " && echo fresh > " + q(mnt.resolve("linux/usb/only-new")));
            Sh.ok("cp -a " + q(mnt.resolve("linux/can")) + " " + q(mnt.resolve("can-copy")));
            Sh.ok("mv " + q(mnt.resolve("linux/fs.h")) + " " + q(mnt.resolve("fs-moved.h")));
            Sh.ok("chmod 600 " + q(mnt.resolve("linux/stat.h")) + " && ln " + q(mnt.resolve("linux/time.h")) + " "
                    + q(mnt.resolve("time-link.h")));
            // git in a lower repository: status, a commit (copy-up of the index, objects), gc
            Path urepo = mnt.resolve("repo");
            assertEquals("", Sh.ok("cd " + q(urepo) + " && git status --porcelain").trim(), "clean in the union");
            Sh.ok("cd " + q(urepo) + " && echo '// three' >> stdlib.h && git commit -qam three && git gc -q && git fsck --strict");
            assertEquals("three", Sh.ok("cd " + q(urepo) + " && git log -1 --format=%s").trim());
            // data written and verified by fio
            Sh.ok("fio --name=v --directory=" + q(mnt) + " --rw=randwrite --bs=4k --size=4m --verify=crc32c --do_verify=1 --verify_state_save=0 "
                    + "--ioengine=psync --output=/dev/null");
            Sh.ok("rm -f " + q(mnt.resolve("v.0.0")));

            String strataView = manifest(mnt);
            assertEquals(lowerBefore, manifest(lower), "the lower layer never changes");
            Sh.ok(STRATA + " umount " + q(mnt));
            assertFalse(Mounted.isMounted(mnt));

            Sh.ok("mount -t overlay overlay -o lowerdir=" + lower + ",upperdir=" + upper + ",workdir=" + wd + " " + q(kmnt));
            try {
                String kernelView = manifest(kmnt);
                assertEquals(kernelView, strataView, "kernel overlayfs reads Strata's upper layer as Strata showed it");
                Sh.ok("cd " + q(kmnt.resolve("repo")) + " && git fsck --strict && test \"$(git log -1 --format=%s)\" = three");
            } finally {
                Sh.ok("umount " + q(kmnt));
            }
            assertTrue(Sh.ok("find " + q(upper) + " -type c -exec stat -c '%n %t,%T' {} +").contains("linux/netfilter 0,0"),
                    "removed lower names are char 0/0 whiteouts");
        } finally {
            cleanup(work, mnt, kmnt);
        }
    }

    @Test
    void typedLayersExt2LowerMemoryUpper() throws Exception {
        Path work = Files.createTempDirectory(Path.of("/tmp"), Mounted.PREFIX + "union-typed");
        Path img = work.resolve("base.img"), mnt = work.resolve("mnt"), tree = work.resolve("tree");
        try {
            Sh.ok("mkdir -p " + q(mnt) + " " + q(tree.resolve("etc")) + " && echo v1 > " + q(tree.resolve("etc/conf")));
            Sh.ok(STRATA + " mkfs.ext2 " + q(img) + " 16M -d " + q(tree));
            String sum = Sh.ok("md5sum < " + q(img));
            Sh m = Sh.run(STRATA + " mount union " + q(mnt) + " -o lowerdir=ext2:" + img + ",upperdir=memory:", null, 120);
            assertEquals(0, m.code(), m.out());
            assertEquals("v1\n", Files.readString(mnt.resolve("etc/conf")));
            Sh.ok("echo v2 > " + q(mnt.resolve("etc/conf")) + " && rm " + q(mnt.resolve("etc/conf")) + " && echo v3 > "
                    + q(mnt.resolve("etc/conf")));
            assertEquals("v3\n", Files.readString(mnt.resolve("etc/conf")));
            Sh.ok(STRATA + " umount " + q(mnt));
            assertEquals(sum, Sh.ok("md5sum < " + q(img)), "the ext2 lower image is never written");
            Sh.ok("e2fsck -fn " + q(img));
            Sh bad = Sh.run(STRATA + " mount union " + q(mnt) + " -o lowerdir=" + work.resolve("nope"), null, 60);
            assertEquals(2, bad.code(), bad.out());
            assertTrue(bad.out().contains("does not exist"), bad.out());
        } finally {
            cleanup(work, mnt);
        }
    }
}
