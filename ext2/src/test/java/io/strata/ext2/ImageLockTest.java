package io.strata.ext2;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.core.HostLocks;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** One writer per image: a second read-write open and mkfs over an open image are refused. */
class ImageLockTest {

    @Test
    void secondReadWriteOpenAndMkfsAreRefusedReadOnlyIsAllowed() throws Exception {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "strata-lock");
        Path img = dir.resolve("disk.img");
        try {
            Layout.format(img, 8L << 20, 1024, 256, 2048);
            try (Ext2FileSystem rw = Ext2FileSystem.open(img, new Ext2Options(false, 1 << 20, io.strata.core.CacheMode.EXCLUSIVE))) {
                HostLocks.HeldException again = assertThrows(HostLocks.HeldException.class,
                        () -> Ext2FileSystem.open(img, new Ext2Options(false, 1 << 20, io.strata.core.CacheMode.EXCLUSIVE)));
                assertTrue(again.getMessage().contains(img.toString()) && again.getMessage().contains("in use"), again.getMessage());
                assertThrows(HostLocks.HeldException.class, () -> Layout.format(img, 8L << 20, 1024, 256, 2048));
                try (Ext2FileSystem ro = Ext2FileSystem.open(img, new Ext2Options(true, 1 << 20, io.strata.core.CacheMode.EXCLUSIVE))) {
                    assertTrue(ro.readOnly());
                }
            }
            // released with the file system
            Ext2FileSystem.open(img, new Ext2Options(false, 1 << 20, io.strata.core.CacheMode.EXCLUSIVE)).close();
        } finally {
            Files.deleteIfExists(img);
            Files.deleteIfExists(dir);
        }
    }
}
