package io.strata.ext2;

import static org.junit.jupiter.api.Assertions.*;

import io.strata.core.Caller;
import io.strata.core.Entry;
import io.strata.core.FileSystem;
import io.strata.core.Name;
import io.strata.core.XattrName;
import io.strata.ext2.tools.Ext2Tool;
import io.strata.ext2.tools.Mkfs;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 7, names as bytes: a kernel-made image (mke2fs -d) holding the one-byte names 0xE9 and 0xFF
 * (which a UTF-8 decoder would merge into one U+FFFD) is listed, read, renamed and emptied through
 * Strata, and e2fsck stays clean; the same through the tools and the nio provider, and Strata's own
 * mkfs -d keeps such host names.
 */
class NonUtf8NamesTest {
    static final Caller ROOT = Caller.ROOT;
    static final Name E9 = name(0xE9), FF = name(0xFF), LINK = name('l', 0xE9), DIR = name('d', 0xE9),
            TREE = Name.of("tree"), CAFE = Name.of("café");

    Path tmp, src;

    static Name name(int... bytes) {
        byte[] b = new byte[bytes.length];
        for (int i = 0; i < b.length; i++) b[i] = (byte) bytes[i];
        try {
            return Name.of(b);
        } catch (io.strata.core.FsException e) {
            throw new AssertionError(e);
        }
    }

    @BeforeEach
    void setUp() throws Exception {
        TestSupport.assumeE2fsprogs();
        tmp = Files.createTempDirectory(Path.of("/tmp"), "ext2-bytes");
        src = tmp.resolve("src");
        Files.createDirectories(src);
        // Java cannot spell these names (its file names are decoded text): the shell makes them.
        TestSupport.Result r = TestSupport.run("sh", "-c", """
                set -e; cd "$1"
                e=$(printf '\\351'); f=$(printf '\\377')
                printf e9 > "$e"; printf ff > "$f"
                mkdir tree "tree/d$e"; printf x > "tree/d$e/$f"; printf y > "tree/$e"
                ln -s "$e" "l$e"
                printf z > "caf$(printf '\\303\\251')"
                """, "sh", src.toString());
        assertEquals(0, r.code(), r.out());
    }

    @AfterEach
    void tearDown() throws Exception {
        if (tmp != null) TestSupport.deleteTree(tmp);
    }

    private Path kernelImage() throws Exception {
        Path img = tmp.resolve("img");
        TestSupport.mke2fs(img, "16M", 1024, 256, src);
        return img;
    }

    private static Set<Name> list(FileSystem fs, long dir) throws Exception {
        Set<Name> out = new HashSet<>();
        fs.readdir(ROOT, dir, 0, 0, (n, ino, t, next) -> out.add(n) || true);
        return out;
    }

    private static long lookup(FileSystem fs, long dir, Name n) throws Exception {
        Entry e = fs.lookup(ROOT, dir, n);
        fs.forget(e.ino(), 1);
        return e.ino();
    }

    private static String content(FileSystem fs, long dir, Name n) throws Exception {
        return new String(TestSupport.readAll(fs, lookup(fs, dir, n)), StandardCharsets.UTF_8);
    }

    @Test
    void kernelMadeNamesAreListedOpenedRenamedAndRemoved() throws Exception {
        Path img = kernelImage();
        Ext2FileSystem fs = Ext2FileSystem.open(img, Ext2Options.defaults());
        try {
            Set<Name> root = list(fs, FileSystem.ROOT);
            assertTrue(root.containsAll(List.of(E9, FF, LINK, TREE, CAFE)), root.toString());
            assertNotEquals(E9, FF);
            // readdirplus hands out the same names, each with its own inode
            Map<Name, Long> plus = new HashMap<>();
            fs.readdirplus(ROOT, FileSystem.ROOT, 0, 0, (n, ino, t, next, e) -> {
                if (e != null) {
                    plus.put(n, e.ino());
                    fs.forget(e.ino(), 1);
                }
                return true;
            });
            assertNotEquals(plus.get(E9), plus.get(FF));
            assertEquals("e9", content(fs, FileSystem.ROOT, E9));
            assertEquals("ff", content(fs, FileSystem.ROOT, FF));
            assertEquals("z", content(fs, FileSystem.ROOT, CAFE));
            assertArrayEquals(new byte[] {(byte) 0xE9}, fs.readlink(ROOT, lookup(fs, FileSystem.ROOT, LINK)));

            long tree = lookup(fs, FileSystem.ROOT, TREE);
            Name e9e9 = name(0xE9, 0xE9), ffe9 = name(0xFF, 0xE9);
            fs.rename(ROOT, FileSystem.ROOT, E9, tree, e9e9, 0);
            fs.rename(ROOT, FileSystem.ROOT, FF, FileSystem.ROOT, ffe9, 0);
            fs.unlink(ROOT, tree, E9); // the file "y" made by the shell, not the one just moved
            long dir = lookup(fs, tree, DIR);
            assertEquals("x", content(fs, dir, FF));
            fs.unlink(ROOT, dir, FF);
            fs.rmdir(ROOT, tree, DIR);
            long cafe = lookup(fs, FileSystem.ROOT, CAFE);
            XattrName xe9 = XattrName.of(new byte[] {'u', 's', 'e', 'r', '.', (byte) 0xE9});
            XattrName xff = XattrName.of(new byte[] {'u', 's', 'e', 'r', '.', (byte) 0xFF});
            fs.setxattr(ROOT, cafe, xe9, new byte[] {1}, 0);
            fs.setxattr(ROOT, cafe, xff, new byte[] {2}, 0);
            assertEquals(Set.of(xe9, xff), new HashSet<>(fs.listxattr(ROOT, cafe)));
        } finally {
            fs.unmount();
        }
        TestSupport.Result ck = TestSupport.fsck(img);
        assertEquals(0, ck.code(), ck.out());

        Ext2FileSystem ro = Ext2FileSystem.open(img, Ext2Options.readOnlyDefaults());
        try {
            Set<Name> root = list(ro, FileSystem.ROOT);
            assertFalse(root.contains(E9) || root.contains(FF), root.toString());
            assertEquals("ff", content(ro, FileSystem.ROOT, name(0xFF, 0xE9)));
            long tree = lookup(ro, FileSystem.ROOT, TREE);
            assertEquals(Set.of(Name.DOT, Name.DOTDOT, name(0xE9, 0xE9)), list(ro, tree));
            assertEquals("e9", content(ro, tree, name(0xE9, 0xE9)));
            long cafe = lookup(ro, FileSystem.ROOT, CAFE);
            assertArrayEquals(new byte[] {2}, ro.getxattr(ROOT, cafe,
                    XattrName.of(new byte[] {'u', 's', 'e', 'r', '.', (byte) 0xFF})));
        } finally {
            ro.unmount();
        }
    }

    @Test
    void toolsPrintRawBytesAndRemoveTrees() throws Exception {
        Path img = kernelImage();
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        assertEquals(0, Ext2Tool.run(new String[] {"ls", img.toString(), "/"}, new PrintStream(out, true),
                new PrintStream(err, true)), err.toString());
        byte[] ls = out.toByteArray();
        assertTrue(containsLine(ls, new byte[] {' ', (byte) 0xE9, '\n'}), "0xE9 not printed raw");
        assertTrue(containsLine(ls, new byte[] {' ', (byte) 0xFF, '\n'}), "0xFF not printed raw");
        assertTrue(containsLine(ls, new byte[] {'l', (byte) 0xE9, ' ', '-', '>', ' ', (byte) 0xE9, '\n'}), "link line");
        assertEquals(0, Ext2Tool.run(new String[] {"rm", "-r", img.toString(), "/tree"}, new PrintStream(out, true),
                new PrintStream(err, true)), err.toString());
        TestSupport.Result ck = TestSupport.fsck(img);
        assertEquals(0, ck.code(), ck.out());
        Ext2FileSystem fs = Ext2FileSystem.open(img, Ext2Options.readOnlyDefaults());
        try {
            assertFalse(list(fs, FileSystem.ROOT).contains(TREE));
        } finally {
            fs.unmount();
        }
    }

    private static boolean containsLine(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
            return true;
        }
        return false;
    }

    // java.nio over these names: nio/NioSuite.namesAreBytes (every backend)

    @Test
    void strataMkfsKeepsHostNameBytes() throws Exception {
        Path img = tmp.resolve("img");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(0, Mkfs.run(new String[] {img.toString(), "16M", "-d", src.toString()},
                new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true)), err.toString());
        TestSupport.Result ck = TestSupport.fsck(img);
        assertEquals(0, ck.code(), ck.out());
        Ext2FileSystem fs = Ext2FileSystem.open(img, Ext2Options.readOnlyDefaults());
        try {
            assertTrue(list(fs, FileSystem.ROOT).containsAll(List.of(E9, FF, LINK, TREE, CAFE)));
            assertEquals("e9", content(fs, FileSystem.ROOT, E9));
            assertEquals("ff", content(fs, FileSystem.ROOT, FF));
            assertArrayEquals(new byte[] {(byte) 0xE9}, fs.readlink(ROOT, lookup(fs, FileSystem.ROOT, LINK)));
            long tree = lookup(fs, FileSystem.ROOT, TREE);
            assertEquals("x", content(fs, lookup(fs, tree, DIR), FF));
        } finally {
            fs.unmount();
        }
    }
}
