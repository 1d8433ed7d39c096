package io.strata.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class NameTest {
    private static int errno(byte[] b) {
        return assertThrows(FsException.class, () -> Name.of(b)).errno();
    }

    @Test
    void validation() {
        assertEquals(Errno.ENOENT, errno(new byte[0]));
        assertEquals(Errno.EINVAL, errno(new byte[] {'a', '/', 'b'}));
        assertEquals(Errno.EINVAL, errno(new byte[] {'a', 0}));
        assertEquals(Errno.ENAMETOOLONG, errno(new byte[256]));
    }

    @Test
    void bytesAreIdentity() throws Exception {
        Name e9 = Name.of(new byte[] {(byte) 0xE9}), ff = Name.of(new byte[] {(byte) 0xFF});
        assertNotEquals(e9, ff);
        assertEquals(e9, Name.of(new byte[] {(byte) 0xE9}));
        assertEquals(e9.hashCode(), Name.of(new byte[] {(byte) 0xE9}).hashCode());
        assertEquals("\\xE9", e9.toString());
        assertEquals("é", Name.of("é").toString());
        assertTrue(Name.of(new byte[] {(byte) 0x80}).compareTo(Name.of("a")) > 0, "unsigned order");
    }

    @Test
    void dotsAreInterned() throws Exception {
        assertSame(Name.DOT, Name.of(new byte[] {'.'}));
        assertSame(Name.DOTDOT, Name.of(".."));
        assertTrue(Name.of("...").isDotOrDotDot() == false);
    }

    @Test
    void bytesAreCopied() throws Exception {
        byte[] b = {'a'};
        Name n = Name.of(b);
        b[0] = 'b';
        assertEquals(Name.of("a"), n);
        n.bytes()[0] = 'c';
        assertEquals(Name.of("a"), n);
    }
}
