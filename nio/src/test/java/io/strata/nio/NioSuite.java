package io.strata.nio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.core.Caller;
import io.strata.core.Created;
import io.strata.core.Name;
import io.strata.core.OpenFlags;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The java.nio frontend over one backend: every subclass runs the same suite (Files.* workload,
 * permissions as another user, byte names, references given back). A subclass builds the backend
 * in {@link #backend()} and checks it after the views closed in {@link #afterViews()}.
 */
abstract class NioSuite {
    protected io.strata.core.FileSystem backend;

    /** A fresh backend; the suite closes it. */
    protected abstract io.strata.core.FileSystem backend() throws Exception;

    /** After every view is closed and the backend too (e2fsck for an image). */
    protected void afterViews() throws Exception {}

    @BeforeEach
    void open() throws Exception {
        backend = backend();
    }

    @AfterEach
    void close() throws Exception {
        if (backend != null) backend.close();
        afterViews();
    }

    @Test
    void filesWorkload() throws Exception {
        try (FileSystem fs = StrataNio.open(backend)) {
            assertEquals("strata", fs.provider().getScheme());
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
            try (SeekableByteChannel ch = Files.newByteChannel(fs.getPath("/big.bin"), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                ch.position(1_000_000).write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
                ch.truncate(1_500_000);
                assertEquals(1_500_000, ch.size());
            }
            byte[] back = Files.readAllBytes(fs.getPath("/big.bin"));
            assertEquals(1_500_000, back.length);
            assertEquals(2, back[1_000_001]);
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
            assertThrows(FileAlreadyExistsException.class, () -> Files.move(fs.getPath("/copy.txt"), fs.getPath("/docs/moved.txt")));
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
            assertTrue(fs.getPath("/docs/f1").toUri().toString().startsWith("strata:view:"), fs.getPath("/docs/f1").toUri().toString());
        }
    }

    @Test
    void anotherUserIsCheckedByTheBackend() throws Exception {
        try (FileSystem root = StrataNio.open(backend)) {
            Files.createDirectories(root.getPath("/private"));
            Files.writeString(root.getPath("/private/secret"), "s");
            Files.setPosixFilePermissions(root.getPath("/private"), PosixFilePermissions.fromString("rwx------"));
            Files.createDirectories(root.getPath("/pub"));
            Files.setPosixFilePermissions(root.getPath("/pub"), PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.writeString(root.getPath("/pub/readme"), "r");
            Files.setPosixFilePermissions(root.getPath("/pub/readme"), PosixFilePermissions.fromString("rw-r--r--"));
            Files.createDirectories(root.getPath("/shared"));
            Files.setPosixFilePermissions(root.getPath("/shared"), PosixFilePermissions.fromString("rwxrwxrwx"));
        }
        try (FileSystem alice = StrataNio.open(backend, Caller.of(1000, 1000))) {
            assertThrows(AccessDeniedException.class, () -> Files.readString(alice.getPath("/private/secret")));
            assertEquals("r", Files.readString(alice.getPath("/pub/readme")));
            assertThrows(AccessDeniedException.class, () -> Files.writeString(alice.getPath("/pub/readme"), "w"));
            assertThrows(AccessDeniedException.class, () -> Files.writeString(alice.getPath("/pub/new"), "w"));
            assertThrows(AccessDeniedException.class, () -> Files.delete(alice.getPath("/pub/readme")));
            Path mine = alice.getPath("/shared/mine");
            Files.writeString(mine, "mine");
            assertEquals(1000, Files.getAttribute(mine, "unix:uid"));
            assertEquals(1000, Files.getAttribute(mine, "unix:gid"));
            Files.setPosixFilePermissions(mine, PosixFilePermissions.fromString("rw-------"));
            assertThrows(java.io.IOException.class, () -> Files.setPosixFilePermissions(alice.getPath("/pub/readme"),
                    PosixFilePermissions.fromString("rw-rw-rw-")), "chmod of root's file");
        }
    }

    private void spiFile(byte[] name, String content) throws Exception {
        Created c = backend.create(Caller.ROOT, io.strata.core.FileSystem.ROOT, Name.of(name), 0644, OpenFlags.O_WRONLY, 0);
        backend.write(Caller.ROOT, c.entry().ino(), c.opened().fh(), 0, ByteBuffer.wrap(content.getBytes()), 0);
        backend.release(c.entry().ino(), c.opened().fh(), 0);
        backend.forget(c.entry().ino(), 1);
    }

    @Test
    void oneByteNamesThatAreNotUtf8StayTwoFiles() throws Exception {
        spiFile(new byte[] {(byte) 0xE9}, "e9");
        spiFile(new byte[] {(byte) 0xFF}, "ff");
        try (FileSystem nio = StrataNio.open(backend)) {
            List<Path> oneByte = new ArrayList<>();
            try (Stream<Path> s = Files.list(nio.getPath("/"))) {
                s.filter(p -> p.getFileName().toString().equals("\uFFFD")).forEach(oneByte::add);
            }
            assertEquals(2, oneByte.size(), "0xE9 and 0xFF are two files, though both print as U+FFFD");
            java.util.Set<String> contents = new java.util.HashSet<>();
            for (Path p : oneByte) {
                String c = Files.readString(p);
                contents.add(c);
                Files.move(p, nio.getPath("/moved-" + c));
            }
            assertEquals(java.util.Set.of("e9", "ff"), contents);
        }
    }

    @Test
    void namesAreBytes() throws Exception {
        byte[] raw = {'c', 'a', 'f', (byte) 0xE9};
        Created c = backend.create(Caller.ROOT, io.strata.core.FileSystem.ROOT, Name.of(raw), 0644, OpenFlags.O_WRONLY, 0);
        backend.write(Caller.ROOT, c.entry().ino(), c.opened().fh(), 0, ByteBuffer.wrap("latin1".getBytes()), 0);
        backend.release(c.entry().ino(), c.opened().fh(), 0);
        backend.forget(c.entry().ino(), 1);
        try (FileSystem fs = StrataNio.open(backend)) {
            List<Path> found = new ArrayList<>();
            try (var ds = Files.newDirectoryStream(fs.getPath("/"))) {
                for (Path p : ds) if (p.getFileName().toString().startsWith("caf")) found.add(p);
            }
            assertEquals(1, found.size());
            Path p = found.get(0);
            assertEquals("latin1", Files.readString(p), "the Path from a listing keeps the exact bytes");
            Files.move(p, fs.getPath("/renamed"));
            assertEquals("latin1", Files.readString(fs.getPath("/renamed")));
            assertThrows(java.nio.file.InvalidPathException.class, () -> fs.getPath("/a\0b"));
        }
    }

    @Test
    void referencesAreHeldOncePerInodeAndGivenBack() throws Exception {
        try (FileSystem nio = StrataNio.open(backend)) {
            StrataFileSystem view = (StrataFileSystem) nio;
            Files.createDirectories(nio.getPath("/a/b/c"));
            Files.writeString(nio.getPath("/a/b/c/f"), "data");
            for (int i = 0; i < 3; i++) assertEquals("data", Files.readString(nio.getPath("/a/b/c/f")));
            assertEquals(view.heldCount(), view.spi.heldInodes(), "one reference per inode in use, no more");
            assertTrue(view.heldCount() <= 4, "a, b, c, f: " + view.heldCount());
            try (FileChannel ch = FileChannel.open(nio.getPath("/a/b/c/f"), StandardOpenOption.READ)) {
                assertEquals(1, view.spi.openHandles());
                ByteBuffer b = ByteBuffer.allocate(4);
                assertEquals(4, ch.read(b, 0));
            }
            assertEquals(0, view.spi.openHandles());
            Files.delete(nio.getPath("/a/b/c/f"));
            assertEquals(view.heldCount(), view.spi.heldInodes(), "a deleted file's reference is given back");
        }
    }
}
