package io.strata.it;

import static io.strata.it.Sh.q;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.fuse.Mounter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** ext2 images written through Strata, checked by the kernel's own ext2 driver and e2fsck. */
class Ext2ImageTest {
    private static final String STRATA = Launcher.STRATA;

    @Test
    void kernelLoopMountSeesWhatStrataWrote() throws Exception {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "strata-it-img");
        Path img = dir.resolve("disk.img");
        Path loop = dir.resolve("loop");
        Files.createDirectories(loop);
        try {
            Sh.ok("truncate -s 1G " + q(img) + " && mke2fs -q -F -t ext2 -b 1024 -I 128 " + q(img));
            try (Mounted m = Mounted.mount(io.strata.ext2.Ext2FileSystem.open(img,
                    new io.strata.ext2.Ext2Options(false, 16L << 20, io.strata.core.CacheMode.EXCLUSIVE)),
                    io.strata.core.CacheMode.EXCLUSIVE)) {
                Sh.ok("tar --xattrs --xattrs-include='user.*' -xpf " + q(Trees.tarball()) + " -C " + q(m.dir));
                Sh.ok("cd " + q(m.dir) + " && mv include inc && rm -rf perl/unicore && ln extra/xattr extra/hl"
                        + " && truncate -s 100 extra/sparse && dd if=/dev/urandom of=big bs=1M count=20 status=none"
                        + " && cp big big.copy");
            }
            Sh.ok("e2fsck -fn " + q(img));
            Sh.ok("mount -o loop,ro " + q(img) + " " + q(loop));
            try {
                Path ref = Trees.source();
                Sh.ok("diff -r --no-dereference -x fifo -x unicore " + q(ref.resolve("include")) + " " + q(loop.resolve("inc")));
                Sh.ok("diff -r --no-dereference -x unicore " + q(ref.resolve("perl")) + " " + q(loop.resolve("perl")));
                Sh.ok("cmp " + q(loop.resolve("big")) + " " + q(loop.resolve("big.copy")));
                assertEquals("100", Sh.ok("stat -c %s " + q(loop.resolve("extra/sparse"))).trim());
                assertEquals("blue", Sh.ok("getfattr --absolute-names -n user.color --only-values " + q(loop.resolve("extra/xattr"))).trim());
                assertEquals("2", Sh.ok("stat -c %h " + q(loop.resolve("extra/hl"))).trim());
                assertTrue(!Files.exists(loop.resolve("perl/unicore")));
            } finally {
                Sh.run("umount " + q(loop));
            }
        } finally {
            Sh.rm(dir);
        }
    }

    @Test
    void fillingTheDiskGivesEnospcAndLeavesItClean() throws Exception {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "strata-it-img");
        Path img = dir.resolve("small.img");
        try {
            Sh.ok("truncate -s 16M " + q(img) + " && mke2fs -q -F -t ext2 -b 1024 " + q(img));
            try (Mounted m = Mounted.mount(io.strata.ext2.Ext2FileSystem.open(img,
                    new io.strata.ext2.Ext2Options(false, 4L << 20, io.strata.core.CacheMode.EXCLUSIVE)),
                    io.strata.core.CacheMode.EXCLUSIVE)) {
                Sh fill = Sh.run("dd if=/dev/urandom of=" + q(m.path("big")) + " bs=64k status=none conv=fsync");
                assertTrue(fill.code() != 0 && fill.out().contains("No space left"), fill.out());
                Sh files = Sh.run("cd " + q(m.dir) + " && for i in $(seq 1 3000); do echo $i > f$i || break; done");
                assertTrue(files.out().contains("No space left"), "small files hit ENOSPC too: " + files.out());
                Sh.ok("rm -f " + q(m.path("big")));
                Sh.ok("dd if=/dev/zero of=" + q(m.path("again")) + " bs=64k count=64 status=none conv=fsync");
                assertEquals(4L << 20, Files.size(m.path("again")), "space is reusable after the delete");
            } // Mounted.close runs only e2fsck for images it made itself; check this one here:
            Sh.ok("e2fsck -fn " + q(img));
        } finally {
            Sh.rm(dir);
        }
    }

    @Test
    void killNineDuringWritesKeepsEveryFsyncedFile() throws Exception {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "strata-it-img");
        Path img = dir.resolve("disk.img");
        Path mnt = Files.createTempDirectory(Path.of("/tmp"), Mounted.PREFIX + "crash");
        Path synced = dir.resolve("synced.txt");
        Path loop = dir.resolve("loop");
        Files.createDirectories(loop);
        try {
            Sh.ok("truncate -s 512M " + q(img) + " && mke2fs -q -F -t ext2 " + q(img));
            Sh mount = Sh.run(STRATA + " mount ext2 " + q(img) + " " + q(mnt), null, 60);
            assertEquals(0, mount.code(), mount.out());
            long pid = Long.parseLong(Sh.ok("pgrep -f -n 'mount ext2 .*" + mnt + "'").trim());
            // Writer: files with content derived from their number, fsynced one by one and logged on
            // the host only after fsync returned; plus unsynced noise in another directory.
            String py = """
                    import os, sys, hashlib
                    mnt, log = sys.argv[1], sys.argv[2]
                    os.makedirs(mnt + '/synced', exist_ok=True); os.makedirs(mnt + '/noise', exist_ok=True)
                    out = open(log, 'a')
                    i = 0
                    while True:
                        data = hashlib.sha256(str(i).encode()).digest() * (64 + i % 300)
                        p = '%s/synced/f%05d' % (mnt, i)
                        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                        os.write(fd, data); os.fsync(fd); os.close(fd)
                        out.write('%d\\n' % i); out.flush()
                        with open('%s/noise/n%05d' % (mnt, i), 'wb') as n:
                            n.write(os.urandom(50000))
                        i += 1
                    """;
            Path script = dir.resolve("writer.py");
            Files.writeString(script, py);
            Process writer = new ProcessBuilder("python3", script.toString(), mnt.toString(), synced.toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("writer.log").toFile()).start();
            for (int i = 0; i < 200 && (Files.notExists(synced) || Files.readAllLines(synced).size() < 150); i++) Thread.sleep(50);
            Sh.ok("kill -9 " + pid);
            writer.waitFor();
            Mounter.unmount(mnt, false);
            int n = Files.readAllLines(synced).size();
            assertTrue(n >= 100, "the writer got going before the kill: " + n + " files");
            Sh fsck = Sh.run("e2fsck -fy " + q(img), null, 300);
            assertTrue(fsck.code() == 0 || fsck.code() == 1, "e2fsck -fy repairs what the crash left: " + fsck.out());
            Sh.ok("e2fsck -fn " + q(img));
            Sh.ok("mount -o loop,ro " + q(img) + " " + q(loop));
            try {
                String check = """
                        import hashlib, sys
                        root, n = sys.argv[1], int(sys.argv[2])
                        bad = []
                        for i in range(n):
                            want = hashlib.sha256(str(i).encode()).digest() * (64 + i % 300)
                            try:
                                got = open('%s/synced/f%05d' % (root, i), 'rb').read()
                            except OSError as e:
                                bad.append('%d: %s' % (i, e)); continue
                            if got != want: bad.append('%d: %d bytes differ' % (i, len(got)))
                        print('\\n'.join(bad[:20])); sys.exit(1 if bad else 0)
                        """;
                Path c = dir.resolve("check.py");
                Files.writeString(c, check);
                Sh ok = Sh.run("python3 " + q(c) + " " + q(loop) + " " + n);
                assertEquals(0, ok.code(), "every fsynced file is intact after kill -9 + e2fsck:\n" + ok.out());
            } finally {
                Sh.run("umount " + q(loop));
            }
        } finally {
            if (Mounted.isMounted(mnt)) Mounter.unmount(mnt, false);
            Sh.rm(mnt);
            Sh.rm(dir);
        }
    }
}
