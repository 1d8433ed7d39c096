package io.strata.ext2;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** FileSystems.newFileSystem on an image, a workload through Files.*, then e2fsck clean. */
class NioProviderTest {
    @Test
    void filesWorkloadThenFsckClean() throws Exception {
        TestSupport.assumeE2fsprogs();
        Path tmp = Files.createTempDirectory(Path.of("/tmp"), "ext2-nio");
        try {
            Path img = tmp.resolve("disk.img");
            TestSupport.mke2fs(img, "32M", 4096, 256, null);
            try (FileSystem fs = FileSystems.newFileSystem(img)) {
                assertEquals("ext2", fs.provider().getScheme());
                Path d = fs.getPath("/docs/deep/er");
                Files.createDirectories(d);
                Path f = d.resolve("note.txt");
                Files.writeString(f, "hello nio");
                assertEquals("hello nio", Files.readString(f));
                Files.writeString(f, " more", StandardOpenOption.APPEND);
                assertEquals("hello nio more", Files.readString(f));
                byte[] big = new byte[2_500_000];
                new java.util.Random(9).nextBytes(big);
                Files.write(fs.getPath("/big.bin"), big);
                assertArrayEquals(big, Files.readAllBytes(fs.getPath("/big.bin")));
                try (SeekableByteChannel ch = Files.newByteChannel(fs.getPath("/big.bin"), StandardOpenOption.READ,
                        StandardOpenOption.WRITE)) {
                    ch.position(1_000_000).write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
                    ch.truncate(1_500_000);
                    assertEquals(1_500_000, ch.size());
                }
                Files.createSymbolicLink(fs.getPath("/link"), fs.getPath("docs/deep"));
                assertEquals("hello nio more", Files.readString(fs.getPath("/link/er/note.txt")));
                assertTrue(Files.isSymbolicLink(fs.getPath("/link")));
                assertEquals(fs.getPath("docs/deep"), Files.readSymbolicLink(fs.getPath("/link")));
                Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
                FileTime t = FileTime.fromMillis(1_600_000_000_000L);
                Files.setLastModifiedTime(f, t);
                PosixFileAttributes pa = Files.readAttributes(f, PosixFileAttributes.class);
                assertEquals("rw-------", PosixFilePermissions.toString(pa.permissions()));
                assertEquals(t, pa.lastModifiedTime());
                assertEquals(14L, Files.readAttributes(f, "posix:size").get("size"));
                Files.move(f, fs.getPath("/docs/moved.txt"));
                assertThrows(NoSuchFileException.class, () -> Files.readString(f));
                Files.copy(fs.getPath("/docs/moved.txt"), fs.getPath("/copy.txt"));
                assertThrows(FileAlreadyExistsException.class,
                        () -> Files.move(fs.getPath("/copy.txt"), fs.getPath("/docs/moved.txt")));
                Files.move(fs.getPath("/copy.txt"), fs.getPath("/docs/moved.txt"), StandardCopyOption.REPLACE_EXISTING);
                assertThrows(DirectoryNotEmptyException.class, () -> Files.delete(fs.getPath("/docs")));
                for (int i = 0; i < 100; i++) Files.writeString(fs.getPath("/docs/f" + i), "n" + i);
                try (Stream<Path> s = Files.walk(fs.getPath("/"))) {
                    List<Path> all = s.toList();
                    assertTrue(all.contains(fs.getPath("/docs/f42")), all.toString());
                    assertTrue(all.contains(fs.getPath("/docs/deep/er")));
                }
                try (var ds = Files.newDirectoryStream(fs.getPath("/docs"), "f1*")) {
                    int n = 0;
                    for (Path p : ds) n++;
                    assertEquals(11, n); // f1, f10..f19
                }
                for (int i = 0; i < 100; i += 2) Files.delete(fs.getPath("/docs/f" + i));
                Files.delete(fs.getPath("/docs/deep/er"));
                assertFalse(Files.exists(fs.getPath("/docs/deep/er")));
                assertTrue(Files.exists(fs.getPath("/link"), LinkOption.NOFOLLOW_LINKS));
            }
            TestSupport.Result ck = TestSupport.fsck(img);
            assertEquals(0, ck.code(), ck.out());
            try (FileSystem fs = FileSystems.newFileSystem(img, Map.of("readOnly", true))) {
                assertTrue(fs.isReadOnly());
                assertEquals("hello nio more", Files.readString(fs.getPath("/docs/moved.txt")));
                assertThrows(java.nio.file.ReadOnlyFileSystemException.class,
                        () -> Files.writeString(fs.getPath("/x"), "no"));
            }
        } finally {
            TestSupport.deleteTree(tmp);
        }
    }
}
