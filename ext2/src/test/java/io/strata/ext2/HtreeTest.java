package io.strata.ext2;

import static org.junit.jupiter.api.Assertions.*;

import io.strata.core.Caller;
import io.strata.core.Created;
import io.strata.core.Entry;
import io.strata.core.FileSystem;
import io.strata.core.Name;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** An htree-indexed directory (e2fsck -D) reads linearly; changing it clears EXT2_INDEX_FL. */
class HtreeTest {
    @Test
    void htreeDirectoryReadAndModified() throws Exception {
        TestSupport.assumeE2fsprogs();
        Path tmp = Files.createTempDirectory(Path.of("/tmp"), "ext2-htree");
        try {
            Path src = tmp.resolve("src");
            Files.createDirectories(src.resolve("big"));
            for (int i = 0; i < 3000; i++) Files.writeString(src.resolve("big/entry-with-a-longish-name-" + i), "" + i);
            Path img = tmp.resolve("img");
            TestSupport.mke2fs(img, "32M", 1024, 128, src, "-O", "dir_index");
            TestSupport.run("e2fsck", "-fyD", img.toString());
            assertTrue(TestSupport.run("debugfs", "-R", "stat /big", img.toString()).out().contains("Flags: 0x1000"),
                    "mke2fs/e2fsck did not index the directory");
            Ext2FileSystem fs = Ext2FileSystem.open(img, Ext2Options.defaults());
            Entry big = fs.lookup(Caller.ROOT, FileSystem.ROOT, Name.of("big"));
            Set<Name> names = new HashSet<>();
            fs.readdir(Caller.ROOT, big.ino(), 0, 0, (n, ino, t, next) -> names.add(n) || true);
            assertEquals(3002, names.size());
            // paged readdir with cookies sees every entry exactly once
            Set<Name> paged = new HashSet<>();
            long[] cookie = {0};
            while (true) {
                int[] got = {0};
                fs.readdir(Caller.ROOT, big.ino(), 0, cookie[0], (n, ino, t, next) -> {
                    if (got[0] == 7) return false;
                    assertTrue(paged.add(n), "duplicate " + n);
                    got[0]++;
                    cookie[0] = next;
                    return true;
                });
                if (got[0] == 0) break;
            }
            assertEquals(names, paged);
            fs.forget(fs.lookup(Caller.ROOT, big.ino(), Name.of("entry-with-a-longish-name-2999")).ino(), 1);
            fs.unlink(Caller.ROOT, big.ino(), Name.of("entry-with-a-longish-name-17"));
            Created c = fs.create(Caller.ROOT, big.ino(), Name.of("new-one"), 0644, 1, 0);
            fs.release(c.entry().ino(), c.opened().fh(), 0);
            fs.forget(c.entry().ino(), 1);
            fs.forget(big.ino(), 1);
            fs.close();
            TestSupport.Result r = TestSupport.fsck(img);
            assertEquals(0, r.code(), r.out());
            assertFalse(TestSupport.run("debugfs", "-R", "stat /big", img.toString()).out().contains("Flags: 0x1000"));
        } finally {
            TestSupport.deleteTree(tmp);
        }
    }
}
