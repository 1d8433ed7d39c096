package io.strata.verity;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.core.Caller;
import io.strata.core.Created;
import io.strata.core.Entry;
import io.strata.core.Errno;
import io.strata.core.FileSystem;
import io.strata.core.FsException;
import io.strata.core.Name;
import io.strata.core.OpenFlags;
import io.strata.core.Opened;
import io.strata.core.SetAttr;
import io.strata.memory.MemoryFileSystem;
import io.strata.memory.MemoryOptions;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Sealing a tree, the manifest format, and a verity layer pinned by a manifest (SPI level, memory below). */
class SealerTest {
    static final Caller ROOT = Caller.ROOT;
    static final long R = FileSystem.ROOT;

    MemoryFileSystem mem;
    byte[] big;

    @BeforeEach
    void setUp() throws FsException {
        mem = new MemoryFileSystem(MemoryOptions.defaults(0, 0).withSizeLimit(64L << 20));
        big = new byte[5 * 4096 + 77];
        new Random(9).nextBytes(big);
        long sub = mem.mkdir(ROOT, R, Name.of("sub"), 0755, 0).ino();
        write(mem, R, Name.of("big.bin"), big);
        write(mem, sub, Name.of("hello.txt"), "hello\n".getBytes());
        write(mem, sub, Name.of(new byte[] {'n', (byte) 0xE9, ' ', '\\', '\n'}), "odd".getBytes()); // not UTF-8, space, \, newline
        write(mem, R, Name.of("empty"), new byte[0]);
        mem.symlink(ROOT, R, Name.of("link"), "sub/hello.txt".getBytes());
    }

    static long write(FileSystem fs, long dir, Name name, byte[] bytes) throws FsException {
        Created c = fs.create(ROOT, dir, name, 0644, OpenFlags.O_RDWR | OpenFlags.O_EXCL, 0);
        ByteBuffer src = ByteBuffer.wrap(bytes);
        while (src.hasRemaining()) fs.write(ROOT, c.entry().ino(), c.opened().fh(), src.position(), src, 0);
        fs.release(c.entry().ino(), c.opened().fh(), OpenFlags.O_RDWR);
        return c.entry().ino();
    }

    static String digestOf(byte[] content) throws IOException {
        MerkleTree t = MerkleTree.build(VerityParams.defaults(), content.length, (off, buf) -> {
            int n = (int) Math.min(buf.remaining(), content.length - off);
            if (n <= 0) return -1;
            buf.put(content, (int) off, n);
            return n;
        });
        return "sha256:" + HexFormat.of().formatHex(t.descriptor().digest());
    }

    static byte[] read(FileSystem fs, long dir, String path) throws FsException {
        long ino = dir;
        for (String part : path.split("/")) {
            Entry e = fs.lookup(ROOT, ino, Name.of(part));
            fs.forget(e.ino(), 1);
            ino = e.ino();
        }
        Opened o = fs.open(ROOT, ino, OpenFlags.O_RDONLY);
        try {
            ByteBuffer b = ByteBuffer.allocate(1 << 20);
            int n;
            while ((n = fs.read(ROOT, ino, o.fh(), b.position(), b)) > 0) { /* fill */ }
            return java.util.Arrays.copyOf(b.array(), b.position());
        } finally {
            fs.release(ino, o.fh(), OpenFlags.O_RDONLY);
        }
    }

    @Test
    void sealEnablesEveryRegularFileAndListsItsDigest() throws Exception {
        VerityFileSystem v = new VerityFileSystem(mem);
        Sealer.Result r = Sealer.seal(v, VerityParams.defaults());
        assertEquals(4, r.manifest().size(), "regular files only: not the directory or the symlink");
        assertEquals(4, r.enabled());
        assertEquals(digestOf(big), r.manifest().digest("/big.bin".getBytes()));
        assertEquals(digestOf("hello\n".getBytes()), r.manifest().digest("/sub/hello.txt".getBytes()));
        assertEquals(digestOf(new byte[0]), r.manifest().digest("/empty".getBytes()));
        assertEquals(digestOf("odd".getBytes()), r.manifest().digest(new byte[] {'/', 's', 'u', 'b', '/', 'n', (byte) 0xE9, ' ', '\\', '\n'}));
        assertNull(r.manifest().digest("/link".getBytes()));
        // sealed files are verity files now: writes refused; sealing again changes nothing
        assertThrows(FsException.class, () -> v.open(ROOT, v.lookup(ROOT, R, Name.of("big.bin")).ino(), OpenFlags.O_WRONLY));
        Sealer.Result again = Sealer.seal(v, VerityParams.defaults());
        assertEquals(0, again.enabled());
        assertEquals(4, again.already());
        assertArrayEquals(r.manifest().encode(), again.manifest().encode());
        v.close();
    }

    @Test
    void manifestTextRoundTripsEveryNameAndRefusesMalformedInput() throws Exception {
        Manifest m = Sealer.seal(new VerityFileSystem(mem), VerityParams.defaults()).manifest();
        byte[] text = m.encode();
        String s = new String(text, StandardCharsets.ISO_8859_1);
        assertTrue(s.startsWith(Manifest.HEADER + "\n"), s);
        assertTrue(s.contains(" /sub/n\\351\\040\\134\\012\n"), "odd bytes escaped as octal: " + s);
        assertEquals(5, s.split("\n").length, "header + one line per file: a newline in a name cannot add a line");
        assertArrayEquals(text, Manifest.decode(text, "m").encode());
        for (String bad : new String[] {
                "not a manifest\n",
                Manifest.HEADER + "\nsha256:00 /a\n",                                   // short digest
                Manifest.HEADER + "\nmd5:" + "0".repeat(64) + " /a\n",                  // unknown algorithm
                Manifest.HEADER + "\nsha256:" + "0".repeat(64) + " a\n",                // relative path
                Manifest.HEADER + "\nsha256:" + "0".repeat(64) + " /a\\9\n",            // bad escape
                Manifest.HEADER + "\nsha256:" + "0".repeat(64) + " /a\nsha256:" + "1".repeat(64) + " /a\n"}) { // twice
            assertThrows(IOException.class, () -> Manifest.decode(bad.getBytes(StandardCharsets.ISO_8859_1), "m"), bad);
        }
    }

    @Test
    void aPinnedLayerOpensOnlyWhatTheManifestListsWithItsDigest() throws Exception {
        VerityFileSystem sealer = new VerityFileSystem(mem);
        Manifest m = Sealer.seal(sealer, VerityParams.defaults()).manifest();
        sealer.close();
        // after sealing: a file added below, and one replaced by other content that has verity too
        write(mem, R, Name.of("added.txt"), "new".getBytes());
        mem.unlink(ROOT, R, Name.of("empty"));
        long replaced = write(mem, R, Name.of("empty"), "not empty".getBytes());
        VerityFileSystem enabler = new VerityFileSystem(mem);
        Opened o = enabler.open(ROOT, replaced, OpenFlags.O_RDONLY);
        enabler.ioctl(ROOT, replaced, o.fh(), io.strata.core.Ioctl.FS_IOC_ENABLE_VERITY, EnableArgument.encode(VerityParams.defaults(), new byte[0]), 0);
        enabler.release(replaced, o.fh(), OpenFlags.O_RDONLY);
        enabler.close();

        VerityFileSystem pinned = new VerityFileSystem(mem, m);
        assertTrue(pinned.readOnly());
        assertArrayEquals(big, read(pinned, R, "big.bin"));
        assertArrayEquals("hello\n".getBytes(), read(pinned, R, "sub/hello.txt"));
        FsException notListed = assertThrows(FsException.class, () -> read(pinned, R, "added.txt"));
        assertEquals(Errno.EACCES, notListed.errno());
        FsException otherDigest = assertThrows(FsException.class, () -> read(pinned, R, "empty"));
        assertEquals(Errno.EACCES, otherDigest.errno());
        FsException write = assertThrows(FsException.class, () -> pinned.create(ROOT, R, Name.of("x"), 0644, OpenFlags.O_WRONLY, 0));
        assertEquals(Errno.EROFS, write.errno());
        assertEquals(Errno.EROFS, assertThrows(FsException.class, () -> pinned.unlink(ROOT, R, Name.of("big.bin"))).errno());
        assertEquals(Errno.EROFS, assertThrows(FsException.class,
                () -> pinned.setattr(ROOT, R, SetAttr.mode(0700))).errno());
        pinned.close();
    }

    private int storedTrees() throws FsException {
        long dir = mem.lookup(ROOT, R, Name.of(".strata-verity")).ino();
        java.util.List<Name> names = new java.util.ArrayList<>();
        mem.readdir(ROOT, dir, 0, 0, (n, i, t, next) -> n.isDotOrDotDot() || names.add(n));
        mem.forget(dir, 1);
        return names.size();
    }

    @Test
    void treesOfDeletedFilesAreCollected() throws Exception {
        byte[] other = new byte[3 * 4096 + 5];
        new Random(3).nextBytes(other);
        write(mem, R, Name.of("other.bin"), other);
        VerityFileSystem v = new VerityFileSystem(mem);
        Sealer.seal(v, VerityParams.defaults());
        assertEquals(2, storedTrees(), "files of more than one block store a tree (big.bin, other.bin)");
        // a deleted verity file and a stray temporary (a crash mid-enable) leave garbage behind
        mem.unlink(ROOT, R, Name.of("big.bin"));
        long dir = mem.lookup(ROOT, R, Name.of(".strata-verity")).ino();
        write(mem, dir, Name.of("tmp-99-1-1"), new byte[10]);
        mem.forget(dir, 1);
        assertEquals(3, storedTrees());
        Sealer.Result r = Sealer.collect(v);
        assertEquals(2, r.treesRemoved());
        assertEquals(1, storedTrees());
        assertArrayEquals(other, read(v, R, "other.bin"), "the tree in use is kept: the file still verifies");
        assertEquals(0, Sealer.collect(v).treesRemoved());
        v.close();
    }
}
