package io.strata.nio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.ext2.Ext2FileSystem;
import io.strata.ext2.Ext2Options;
import io.strata.ext2.Layout;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The nio suite over an ext2 image (e2fsck -fn clean afterwards), and the image's URI and Path forms. */
class Ext2NioTest extends NioSuite {
    private Path dir, img;

    @Override
    protected io.strata.core.FileSystem backend() throws Exception {
        dir = Files.createTempDirectory(Path.of("/tmp"), "strata-nio-ext2");
        img = dir.resolve("disk.img");
        Layout.format(img, 64L << 20, 4096, 256, 4096);
        return Ext2FileSystem.open(img, Ext2Options.defaults());
    }

    @Override
    protected void afterViews() throws Exception {
        Process p = new ProcessBuilder("e2fsck", "-fn", img.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), "e2fsck -fn:\n" + out);
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(q);
        }
    }

    @Test
    void imageByUriAndByPath() throws Exception {
        backend.close(); // the image is locked while open read-write: let the provider open it
        backend = null;
        try (FileSystem fs = FileSystems.newFileSystem(URI.create("strata:ext2:" + img), Map.of())) {
            Files.writeString(fs.getPath("/by-uri"), "u");
            Path p = fs.getPath("/by-uri");
            assertTrue(p.toUri().toString().startsWith("strata:ext2:" + img + "!/by-uri"), p.toUri().toString());
            assertEquals(p, fs.provider().getPath(p.toUri()));
        }
        try (FileSystem fs = FileSystems.newFileSystem(img)) {
            assertEquals("strata", fs.provider().getScheme());
            assertEquals("u", Files.readString(fs.getPath("/by-uri")));
        }
        try (FileSystem fs = FileSystems.newFileSystem(img, Map.of("readOnly", true))) {
            assertTrue(fs.isReadOnly());
            assertThrows(java.nio.file.ReadOnlyFileSystemException.class, () -> Files.writeString(fs.getPath("/x"), "no"));
        }
    }
}
