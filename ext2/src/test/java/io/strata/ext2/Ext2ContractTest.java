package io.strata.ext2;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.strata.core.Caller;
import io.strata.core.FileSystem;
import io.strata.core.FsException;
import io.strata.core.Name;
import io.strata.core.contract.FileSystemContract;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;

/**
 * Core's contract on ext2: a fresh image per test, made by Strata's own {@link Layout} (no root, no
 * e2fsprogs needed, and no lost+found, so the root starts empty as the contract wants). Where
 * e2fsprogs are installed, every test's image must also pass e2fsck -fn afterwards (lost+found is
 * added first, since e2fsck insists on it).
 */
class Ext2ContractTest extends FileSystemContract {
    private Path dir, img;

    @Override
    protected FileSystem newFileSystem() throws Exception {
        dir = Files.createTempDirectory(Path.of("/tmp"), "ext2-contract");
        img = dir.resolve("img");
        Layout.format(img, 16L << 20, 1024, 256, 4096); // 256-byte inodes: nanosecond times
        return Ext2FileSystem.open(img, Ext2Options.defaults());
    }

    /** Runs before the contract's own close (subclass first): closing twice is harmless. */
    @AfterEach
    void imageStaysConsistent() throws Exception {
        try {
            if (s != null) s.close();
            if (fs != null) fs.close();
            if (img == null || !TestSupport.haveTool("e2fsck")) return;
            Ext2FileSystem again = Ext2FileSystem.open(img, Ext2Options.defaults());
            try {
                again.forget(again.mkdir(Caller.ROOT, FileSystem.ROOT, Name.of("lost+found"), 0700, 0).ino(), 1);
            } catch (FsException exists) {
                assertEquals(io.strata.core.Errno.EEXIST, exists.errno());
            } finally {
                again.unmount();
            }
            TestSupport.Result ck = TestSupport.fsck(img);
            assertEquals(0, ck.code(), ck.out());
        } finally {
            if (dir != null) TestSupport.deleteTree(dir);
        }
    }
}
