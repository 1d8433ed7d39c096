package io.strata.union;

import static io.strata.core.FileType.S_IFREG;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.core.Caller;
import io.strata.core.Created;
import io.strata.core.Errno;
import io.strata.core.FileSystem;
import io.strata.core.FsException;
import io.strata.core.Name;
import io.strata.core.OpenFlags;
import io.strata.core.Opened;
import io.strata.ext2.Ext2FileSystem;
import io.strata.ext2.Ext2Options;
import io.strata.ext2.Layout;
import io.strata.memory.MemoryFileSystem;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A memory upper over an ext2 image lower, opened read-only: the image never changes. */
class Ext2LowerTest {
    static final Caller ROOT = Caller.ROOT;
    static final long R = FileSystem.ROOT;

    Path dir, img;
    Ext2FileSystem ext2;
    MemoryFileSystem mem;
    UnionFileSystem u;
    byte[] big;
    byte[] imageBefore;

    @BeforeEach
    void image() throws Exception {
        dir = Files.createTempDirectory(Path.of("/tmp"), "strata-union-ext2");
        img = dir.resolve("lower.img");
        Layout.format(img, 8L << 20, 1024, 256, 4096);
        big = new byte[300_000];
        new Random(7).nextBytes(big);
        try (Ext2FileSystem w = Ext2FileSystem.open(img, Ext2Options.defaults())) {
            Stack.put(w, R, "etc/hosts", "127.0.0.1 localhost\n");
            Stack.put(w, R, "etc/passwd", "root:x:0:0\n");
            Stack.put(w, R, "usr/lib/big.so", big, 0755);
            Stack.put(w, R, "usr/lib/small", "s");
            w.symlink(ROOT, Stack.mkdirs(w, R, "usr"), Name.of("lib64"), "lib".getBytes());
        }
        imageBefore = Files.readAllBytes(img);
        ext2 = Ext2FileSystem.open(img, Ext2Options.readOnlyDefaults());
        mem = Stack.memory();
        long up = Stack.mkdirs(mem, R, "upper"), wk = Stack.mkdirs(mem, R, "work");
        u = UnionFileSystem.open(UnionOptions.of(List.of(UnionLayer.of(ext2)), new UnionLayer(mem, up),
                new UnionLayer(mem, wk)));
    }

    @AfterEach
    void cleanUp() throws Exception {
        if (u != null) u.close();
        if (ext2 != null) ext2.close();
        if (mem != null) mem.close();
        if (dir != null) Tree.deleteTree(dir);
    }

    @Test
    void readsMergesCopiesUpAndNeverWritesTheImage() throws Exception {
        assertEquals(Set.of("etc", "usr"), new HashSet<>(Stack.list(u, R)));
        long bigIno = Stack.find(u, R, "usr/lib/big.so").ino();
        assertArrayEquals(big, Tree.readAll(u, bigIno));
        assertArrayEquals("lib".getBytes(), u.readlink(ROOT, Stack.find(u, R, "usr/lib64").ino()));
        // copy-up of a large file: every byte arrives, mode kept
        Opened o = u.open(ROOT, bigIno, OpenFlags.O_RDWR);
        u.write(ROOT, bigIno, o.fh(), 299_990, ByteBuffer.wrap("0123456789".getBytes()), 0);
        u.release(bigIno, o.fh(), OpenFlags.O_RDWR);
        byte[] want = big.clone();
        System.arraycopy("0123456789".getBytes(), 0, want, 299_990, 10);
        assertArrayEquals(want, Tree.readAll(u, bigIno));
        assertEquals(0755, u.getattr(ROOT, bigIno, -1).attr().mode() & 07777);
        // removal leaves whiteouts in the memory upper; new files land there too
        u.unlink(ROOT, Stack.find(u, R, "etc").ino(), Name.of("passwd"));
        Created cr = u.create(ROOT, Stack.find(u, R, "etc").ino(), Name.of("motd"), S_IFREG | 0644, OpenFlags.O_RDWR, 0);
        u.release(cr.entry().ino(), cr.opened().fh(), OpenFlags.O_RDWR);
        assertEquals(Set.of("hosts", "motd"), new HashSet<>(Stack.list(u, Stack.find(u, R, "etc").ino())));
        FsException gone = org.junit.jupiter.api.Assertions.assertThrows(FsException.class,
                () -> Stack.find(u, R, "etc/passwd"));
        assertEquals(Errno.ENOENT, gone.errno());
        long upperEtc = Stack.find(mem, R, "upper/etc").ino();
        assertEquals(io.strata.core.FileType.S_IFCHR,
                Stack.find(mem, upperEtc, "passwd").attr().mode() & io.strata.core.FileType.S_IFMT);
        assertFalse(Stack.exists(mem, upperEtc, "hosts"), "untouched lower files are not copied");
        assertTrue(Stack.exists(ext2, R, "etc/passwd"));
        u.close();
        u = null;
        ext2.close();
        ext2 = null;
        assertArrayEquals(imageBefore, Files.readAllBytes(img), "the image is byte-for-byte unchanged");
    }
}
