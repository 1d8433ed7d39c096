package io.strata.memory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.core.Created;
import io.strata.core.Entry;
import io.strata.core.Errno;
import io.strata.core.Name;
import io.strata.core.XattrName;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Names are bytes end to end: the one-byte names 0xE9 and 0xFF (both invalid UTF-8, both one
 * U+FFFD once decoded) are two different files through every operation.
 */
class NameBytesTest extends FsTestSupport {

    long createWith(Name name, String content) throws Exception {
        Created cr = fs.create(ROOT_CALLER, ROOT, name, 0644, RW, 0);
        write(cr.entry().ino(), cr.opened().fh(), 0, content);
        fs.release(cr.entry().ino(), cr.opened().fh(), 0);
        return cr.entry().ino();
    }

    String content(long ino) throws Exception {
        long fh = open(ino, RO);
        try {
            return readString(ino, fh, 0, 100);
        } finally {
            fs.release(ino, fh, 0);
        }
    }

    @Test
    void twoInvalidUtf8BytesAreTwoDistinctFiles() throws Exception {
        Name e9 = raw(0xE9), ff = raw(0xFF);
        assertNotEquals(e9, ff);
        long a = createWith(e9, "e9");
        long b = createWith(ff, "ff");
        assertNotEquals(a, b, "two files, not one");

        // listed as the bytes they are, each once
        List<Name> listed = listNames(ROOT, Integer.MAX_VALUE);
        assertEquals(List.of(Name.DOT, Name.DOTDOT, e9, ff), listed);
        assertArrayEquals(new byte[] {(byte) 0xE9}, listed.get(2).bytes());
        assertArrayEquals(new byte[] {(byte) 0xFF}, listed.get(3).bytes());

        // looked up to the right file
        assertEquals(a, fs.lookup(ROOT_CALLER, ROOT, e9).ino());
        assertEquals(b, fs.lookup(ROOT_CALLER, ROOT, ff).ino());
        assertEquals("e9", content(a));
        assertEquals("ff", content(b));
        assertErrno(Errno.ENOENT, () -> fs.lookup(ROOT_CALLER, ROOT, n("\uFFFD")), "no decoded stand-in exists");

        // renamed: 0xE9 over nothing, then 0xFF over 0xE9's new name; the other file is untouched
        Name fe80 = raw(0xFE, 0x80);
        fs.rename(ROOT_CALLER, ROOT, e9, ROOT, fe80, 0);
        assertErrno(Errno.ENOENT, () -> fs.lookup(ROOT_CALLER, ROOT, e9));
        assertEquals(a, fs.lookup(ROOT_CALLER, ROOT, fe80).ino());
        assertEquals(b, fs.lookup(ROOT_CALLER, ROOT, ff).ino());
        fs.rename(ROOT_CALLER, ROOT, fe80, ROOT, e9, 0);

        // unlinked one at a time
        fs.unlink(ROOT_CALLER, ROOT, ff);
        assertErrno(Errno.ENOENT, () -> fs.lookup(ROOT_CALLER, ROOT, ff));
        assertEquals("e9", content(fs.lookup(ROOT_CALLER, ROOT, e9).ino()), "unlinking 0xFF left 0xE9 alone");
        fs.unlink(ROOT_CALLER, ROOT, e9);
        assertEquals(List.of(".", ".."), list(ROOT));
    }

    @Test
    void directoriesWithByteNamesAndManyEntries() throws Exception {
        // enough entries that the directory switches from a scan to its hash index
        long d = fs.mkdir(ROOT_CALLER, ROOT, raw(0xC3, 0x28), 0755, 0).ino();
        java.util.Map<Name, Long> made = new java.util.HashMap<>();
        for (int i = 1; i < 256; i++) {
            if (i == '/') continue; // the only bytes besides NUL a name cannot hold
            Name name = raw('x', i, 0xFF);
            made.put(name, touch(ROOT_CALLER, d, name));
        }
        List<Name> listed = listNames(d, 10);
        assertEquals(2 + 254, listed.size());
        assertEquals(made.keySet(), Set.copyOf(listed.subList(2, listed.size())));
        for (var m : made.entrySet()) assertEquals(m.getValue(), fs.lookup(ROOT_CALLER, d, m.getKey()).ino());
        assertEquals(d, fs.lookup(ROOT_CALLER, ROOT, raw(0xC3, 0x28)).ino());
    }

    @Test
    void readdirplusReportsByteNames() throws Exception {
        Name e9 = raw(0xE9), ff = raw(0xFF);
        long a = createWith(e9, "x"), b = createWith(ff, "y");
        java.util.Map<Name, Long> seen = new java.util.HashMap<>();
        fs.readdirplus(ROOT_CALLER, ROOT, 0, 0, (name, ino, type, next, e) -> {
            if (e != null) seen.put(name, e.ino());
            return true;
        });
        assertEquals(java.util.Map.of(e9, a, ff, b), seen);
    }

    @Test
    void symlinkTargetsAreStoredAsBytes() throws Exception {
        byte[] target = {'.', '.', '/', (byte) 0xE9, '/', (byte) 0xFF};
        Entry l = fs.symlink(ROOT_CALLER, ROOT, n("l"), target);
        assertEquals(target.length, l.attr().size());
        assertArrayEquals(target, fs.readlink(ROOT_CALLER, l.ino()));
        target[0] = 'X';
        assertEquals('.', fs.readlink(ROOT_CALLER, l.ino())[0], "the target was copied, not shared");
        fs.readlink(ROOT_CALLER, l.ino())[1] = 'Y';
        assertEquals('.', fs.readlink(ROOT_CALLER, l.ino())[1], "readlink hands out a copy");
        assertErrno(Errno.EINVAL, () -> fs.symlink(ROOT_CALLER, ROOT, n("nul"), new byte[] {'a', 0, 'b'}),
                "a C string cannot carry NUL");
        byte[] longest = new byte[4095]; // a page minus the terminating NUL
        java.util.Arrays.fill(longest, (byte) 0xB5);
        assertArrayEquals(longest, fs.readlink(ROOT_CALLER, fs.symlink(ROOT_CALLER, ROOT, n("max"), longest).ino()));
        assertErrno(Errno.ENAMETOOLONG, () -> fs.symlink(ROOT_CALLER, ROOT, n("over"), new byte[4096]));
    }

    @Test
    void xattrNamesAreBytes() throws Exception {
        long f = touch(ROOT, "f");
        XattrName e9 = XattrName.of(new byte[] {'u', 's', 'e', 'r', '.', (byte) 0xE9});
        XattrName ff = XattrName.of(new byte[] {'u', 's', 'e', 'r', '.', (byte) 0xFF});
        fs.setxattr(ROOT_CALLER, f, e9, new byte[] {1}, 0);
        fs.setxattr(ROOT_CALLER, f, ff, new byte[] {2}, 0);
        assertArrayEquals(new byte[] {1}, fs.getxattr(ROOT_CALLER, f, e9));
        assertArrayEquals(new byte[] {2}, fs.getxattr(ROOT_CALLER, f, ff));
        assertEquals(Set.of(e9, ff), Set.copyOf(fs.listxattr(ROOT_CALLER, f)));
        fs.removexattr(ROOT_CALLER, f, ff);
        assertArrayEquals(new byte[] {1}, fs.getxattr(ROOT_CALLER, f, e9));
        assertFalse(fs.listxattr(ROOT_CALLER, f).contains(ff));
        assertTrue(fs.listxattr(ROOT_CALLER, f).contains(e9));
    }

    @Test
    void theSameBytesAreTheSameNameHoweverTheNameWasMade() throws Exception {
        long f = touch(ROOT, "é"); // from a String: its UTF-8 bytes C3 A9
        assertEquals(f, fs.lookup(ROOT_CALLER, ROOT, raw(0xC3, 0xA9)).ino());
        assertErrno(Errno.ENOENT, () -> fs.lookup(ROOT_CALLER, ROOT, raw(0xE9)), "Latin-1 é is another name");
    }
}
