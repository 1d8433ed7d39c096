package io.strata.ext2.nio;

import static org.junit.jupiter.api.Assertions.*;

import io.strata.core.Caller;
import io.strata.core.FileSystem;
import io.strata.ext2.Ext2FileSystem;
import io.strata.ext2.Ext2Options;
import io.strata.ext2.tools.Mkfs;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The nio view serves itself through its own Session: path walks leave no lookup reference behind,
 * and closing the view releases what a careless caller left open (here a channel on a file deleted
 * meanwhile, whose inode must then be freed).
 */
class NioSessionTest {
    @Test
    void noReferencesLeakAndCloseReleasesLeftovers() throws Exception {
        Path tmp = Files.createTempDirectory(Path.of("/tmp"), "ext2-nio-session");
        try {
            Path img = tmp.resolve("img");
            assertEquals(0, Mkfs.run(new String[] {img.toString(), "8M"}, new PrintStream(new ByteArrayOutputStream()),
                    new PrintStream(new ByteArrayOutputStream())));
            long freeBefore;
            try (Ext2FileSystem fs = Ext2FileSystem.open(img, Ext2Options.readOnlyDefaults())) {
                freeBefore = fs.statfs(Caller.ROOT, FileSystem.ROOT).ffree();
            }
            SeekableByteChannel leaked;
            try (java.nio.file.FileSystem nio = FileSystems.newFileSystem(img)) {
                Ext2NioFileSystem view = (Ext2NioFileSystem) nio;
                Files.createDirectories(nio.getPath("/a/b/c"));
                Files.writeString(nio.getPath("/a/b/c/f"), "data");
                Files.createSymbolicLink(nio.getPath("/a/l"), nio.getPath("b/c"));
                assertEquals("data", Files.readString(nio.getPath("/a/l/f")));
                try (Stream<Path> s = Files.walk(nio.getPath("/"))) {
                    assertTrue(s.count() >= 6);
                }
                assertEquals(0, view.spi.heldInodes(), "path walks must not keep references");
                assertEquals(0, view.spi.openHandles());
                assertThrows(InvalidPathException.class, () -> nio.getPath("/a\0b"));

                leaked = Files.newByteChannel(nio.getPath("/gone"), StandardOpenOption.CREATE_NEW,
                        StandardOpenOption.WRITE);
                leaked.write(java.nio.ByteBuffer.wrap(new byte[10_000]));
                Files.delete(nio.getPath("/gone"));
                assertEquals(1, view.spi.openHandles());
                try (Stream<Path> s = Files.walk(nio.getPath("/a"))) {
                    for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
                }
            } // the leaked channel's handle is released by the session, then the image unmounted
            try (Ext2FileSystem fs = Ext2FileSystem.open(img, Ext2Options.readOnlyDefaults())) {
                assertEquals(freeBefore, fs.statfs(Caller.ROOT, FileSystem.ROOT).ffree(), "the orphan was freed");
            }
            // the channel object does not know; using it fails cleanly (the session is detached)
            assertThrows(java.io.IOException.class, () -> leaked.write(java.nio.ByteBuffer.wrap(new byte[1])));
            leaked.close();
        } finally {
            try (Stream<Path> s = Files.walk(tmp)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
            }
        }
    }
}
