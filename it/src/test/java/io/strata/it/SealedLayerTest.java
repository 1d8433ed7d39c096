package io.strata.it;

import static io.strata.it.Sh.q;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.fuse.Mounter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Sealed layers as a user makes and uses them: `strata verity seal DIR|IMAGE --manifest M`, then a
 * mount with `-o manifest=M`. Every digest in the manifest is what `fsverity digest` says of the
 * file; the mount is read-only, serves the sealed files, refuses files added later (EACCES), and a
 * byte flipped below gives EIO for its block only, whether read by cat, mmap or nginx's sendfile.
 */
@Tag(Privileges.TAG)
class SealedLayerTest {
    private static final String STRATA = Launcher.STRATA;

    private static void cleanup(Path work, Path mnt) throws Exception {
        if (Mounted.isMounted(mnt)) Mounter.unmount(mnt, false);
        Sh.rm(work);
    }

    /** Every manifest line's digest equals `fsverity digest` of the pristine copy of that file. */
    private static int checkManifest(Path manifest, Path pristine) throws Exception {
        List<String> lines = Files.readAllLines(manifest);
        assertEquals("# strata verity manifest 1", lines.get(0));
        int n = 0;
        for (String l : lines.subList(1, lines.size())) {
            String digest = l.substring(0, l.indexOf(' ')), path = l.substring(l.indexOf(' ') + 1).replace("\\040", " ");
            assertEquals(Sh.ok("fsverity digest " + q(pristine.resolve(path.substring(1)))).split(" ")[0], digest, l);
            n++;
        }
        return n;
    }

    private static Sh readBlock(Path f, int n) throws Exception {
        return Sh.run("dd if=" + q(f) + " bs=4096 skip=" + n + " count=1 status=none | md5sum");
    }

    @Test
    void sealedDirectoryPinsEveryFile() throws Exception {
        Path work = Files.createTempDirectory(Path.of("/tmp"), Mounted.PREFIX + "sealed-dir");
        Path src = work.resolve("src"), pristine = work.resolve("pristine"), mnt = work.resolve("mnt"), manifest = work.resolve("m");
        try {
            Sh.ok("mkdir -p " + q(src.resolve("sub")) + " " + q(mnt) + " && head -c 20000 /dev/urandom > " + q(src.resolve("data.bin"))
                    + " && echo hello > " + q(src.resolve("sub/hello.txt")) + " && echo odd > " + q(src.resolve("a name"))
                    + " && ln -s sub/hello.txt " + q(src.resolve("link")) + " && cp -a " + q(src) + " " + q(pristine));
            Sh seal = Sh.run(STRATA + " verity seal " + q(src) + " --manifest " + q(manifest));
            assertEquals(0, seal.code(), seal.out());
            assertTrue(seal.out().contains("3 files (3 newly"), seal.out());
            assertEquals(3, checkManifest(manifest, pristine));

            Sh m = Sh.run(STRATA + " mount passthrough " + q(src) + " " + q(mnt) + " -o manifest=" + q(manifest) + ",allow_other");
            assertEquals(0, m.code(), m.out());
            assertTrue(m.out().contains("read-only") && m.out().contains("manifest"), m.out());
            Sh.ok("diff -r " + q(pristine) + " " + q(mnt)); // same tree, trees and descriptors invisible
            String line = Files.readAllLines(manifest).stream().filter(l -> l.endsWith(" /data.bin")).findFirst().orElseThrow();
            assertEquals(line.split(" ")[0], Sh.ok("fsverity measure " + q(mnt.resolve("data.bin"))).split(" ")[0]);
            Sh touch = Sh.run("touch " + q(mnt.resolve("new")));
            assertTrue(touch.code() != 0 && touch.out().contains("Read-only file system"), touch.out());

            Sh.ok("echo later > " + q(src.resolve("later.txt")));
            Sh later = Sh.run("cat " + q(mnt.resolve("later.txt")));
            assertTrue(later.code() != 0 && later.out().contains("Permission denied"), "a file the manifest does not list: " + later.out());
            Sh.ok(STRATA + " umount " + q(mnt));

            // flip a byte of block 2 on the host, then read through the sealed mount every way
            Sh.ok("printf '\\xff' | dd of=" + q(src.resolve("data.bin")) + " bs=1 seek=9000 conv=notrunc status=none");
            assertEquals(0, Sh.run(STRATA + " mount passthrough " + q(src) + " " + q(mnt) + " -o manifest=" + q(manifest) + ",allow_other").code());
            Path f = mnt.resolve("data.bin");
            assertTrue(readBlock(f, 2).out().contains("Input/output error"), "the tampered block gives EIO");
            for (int b : new int[] {0, 1, 3, 4}) {
                assertEquals(Sh.ok("dd if=" + q(pristine.resolve("data.bin")) + " bs=4096 skip=" + b + " count=1 status=none | md5sum"),
                        readBlock(f, b).out(), "block " + b + " reads correctly");
            }
            Sh mmap = Sh.run("python3 -c \"import mmap,sys; f=open(sys.argv[1],'rb'); m=mmap.mmap(f.fileno(),0,prot=mmap.PROT_READ); "
                    + "print(len(m[0:8192])); sys.stdout.flush(); m[8192:12288]\" " + q(f));
            assertTrue(mmap.out().startsWith("8192"), "mmap reads the good blocks: " + mmap.out());
            assertTrue(mmap.code() != 0, "mmap of the tampered block fails (SIGBUS), never returns bad bytes: " + mmap.code());
            assertFalse(Sh.ok("cat " + q(mnt.resolve("sub/hello.txt"))).isEmpty());
            nginxRefusesTheTamperedFile(mnt);
        } finally {
            cleanup(work, mnt);
        }
    }

    /** nginx with sendfile: the intact file is served whole, the tampered one never completely. */
    private static void nginxRefusesTheTamperedFile(Path root) throws Exception {
        try (Nginx nginx = Nginx.serve(root)) {
            assertEquals("hello", Sh.ok("curl -sf --max-time 20 " + nginx.url("/sub/hello.txt")).trim());
            Sh bad = Sh.run("curl -s --max-time 20 -o /dev/null -w '%{size_download}' " + nginx.url("/data.bin"));
            assertTrue(bad.code() != 0 || !bad.out().trim().equals("20000"), "the tampered file is never served whole: " + bad.out());
        }
    }

    @Test
    void sealedExt2Image() throws Exception {
        Path work = Files.createTempDirectory(Path.of("/tmp"), Mounted.PREFIX + "sealed-img");
        Path tree = work.resolve("tree"), img = work.resolve("disk.img"), mnt = work.resolve("mnt"), manifest = work.resolve("m");
        try {
            Sh.ok("mkdir -p " + q(tree.resolve("d")) + " " + q(mnt) + " && head -c 9000 /dev/urandom > " + q(tree.resolve("d/f"))
                    + " && echo small > " + q(tree.resolve("s")));
            Sh.ok(STRATA + " mkfs.ext2 -q -b 4096 -d " + q(tree) + " " + q(img) + " 32M");
            Sh seal = Sh.run(STRATA + " verity seal " + q(img) + " --manifest " + q(manifest));
            assertEquals(0, seal.code(), seal.out());
            assertEquals(2, checkManifest(manifest, tree));
            Sh.ok("e2fsck -fn " + q(img));
            assertEquals(0, Sh.run(STRATA + " mount ext2 " + q(img) + " " + q(mnt) + " -o manifest=" + q(manifest)).code());
            Sh.ok("diff -r -x lost+found " + q(tree) + " " + q(mnt));
            Sh.ok(STRATA + " umount " + q(mnt));
            // flip a byte in the image, inside the file's second block (debugfs names the physical block)
            long blk = Long.parseLong(Sh.ok("debugfs -R 'bmap /d/f 1' " + q(img) + " 2>/dev/null").trim());
            Sh.ok("printf '\\x5a' | dd of=" + q(img) + " bs=1 seek=" + (blk * 4096 + 100) + " conv=notrunc status=none");
            assertEquals(0, Sh.run(STRATA + " mount ext2 " + q(img) + " " + q(mnt) + " -o manifest=" + q(manifest)).code());
            assertTrue(readBlock(mnt.resolve("d/f"), 1).out().contains("Input/output error"));
            assertEquals(Sh.ok("dd if=" + q(tree.resolve("d/f")) + " bs=4096 skip=0 count=1 status=none | md5sum"), readBlock(mnt.resolve("d/f"), 0).out());
            assertEquals("small", Sh.ok("cat " + q(mnt.resolve("s"))).trim());
        } finally {
            cleanup(work, mnt);
        }
    }
}
