package io.strata.ext2;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.core.CacheMode;
import io.strata.core.Caller;
import io.strata.core.FileSystem;
import io.strata.core.Name;
import io.strata.core.XattrName;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * In-inode xattrs (written by debugfs into a 256-byte inode) survive inode rewrites now that a
 * loaded inode keeps no copy of its on-disk bytes, and move to the xattr block on a change.
 */
class InodeXattrsTest {

    @Test
    void inInodeAttributesSurviveRewritesAndMoveToTheBlock() throws Exception {
        TestSupport.assumeE2fsprogs();
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "strata-ixattr");
        Path img = dir.resolve("disk.img");
        Path src = dir.resolve("src");
        try {
            Files.writeString(src, "data");
            TestSupport.mke2fs(img, "8M", 1024, 256, null);
            assertEquals(0, TestSupport.run("debugfs", "-w", "-R", "write " + src + " f", img.toString()).code());
            assertEquals(0, TestSupport.run("debugfs", "-w", "-R", "ea_set f user.inl hello", img.toString()).code());
            assertTrue(TestSupport.run("debugfs", "-R", "stat f", img.toString()).out().contains("File ACL: 0"),
                    "debugfs did not store the attribute in the inode");
            Caller root = Caller.ROOT;
            try (Ext2FileSystem fs = Ext2FileSystem.open(img, new Ext2Options(false, 1 << 20, CacheMode.EXCLUSIVE))) {
                long ino = fs.lookup(root, FileSystem.ROOT, Name.of("f")).ino();
                fs.setattr(root, ino, io.strata.core.SetAttr.mode(0600)); // rewrites the inode
                assertArrayEquals("hello".getBytes(StandardCharsets.UTF_8), fs.getxattr(root, ino, XattrName.of("user.inl")));
                fs.setxattr(root, ino, XattrName.of("user.two"), "second".getBytes(StandardCharsets.UTF_8), 0);
                Set<String> names = fs.listxattr(root, ino).stream().map(XattrName::toString).collect(Collectors.toSet());
                assertEquals(Set.of("user.inl", "user.two"), names);
                assertArrayEquals("hello".getBytes(StandardCharsets.UTF_8), fs.getxattr(root, ino, XattrName.of("user.inl")));
            }
            TestSupport.Result fsck = TestSupport.fsck(img);
            assertEquals(0, fsck.code(), fsck.out());
            String stat = TestSupport.run("debugfs", "-R", "stat f", img.toString()).out();
            assertTrue(stat.contains("user.inl (5) = \"hello\"") && stat.contains("user.two"), stat);
        } finally {
            TestSupport.deleteTree(dir);
        }
    }
}
