package io.strata.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class AccessTest {
    private static Attr file(int mode, int uid, int gid) {
        return new Attr(5, FileType.S_IFREG | mode, 1, uid, gid, 0, 0, 0, 4096, 0, 0, 0);
    }

    private static Attr dir(int mode, int uid, int gid) {
        return new Attr(6, FileType.S_IFDIR | mode, 2, uid, gid, 0, 0, 0, 4096, 0, 0, 0);
    }

    @Test
    void classesAreExclusive() {
        // owner class applies even when it grants less than group or other
        assertFalse(Access.allowed(Caller.of(7, 7), FileType.S_IFREG | 0077, 7, 7, Access.R));
        assertTrue(Access.allowed(Caller.of(8, 9, 7), FileType.S_IFREG | 0040, 7, 7, Access.R));
        assertFalse(Access.allowed(Caller.of(8, 7), FileType.S_IFREG | 0047, 7, 7, Access.W));
        assertTrue(Access.allowed(Caller.of(8, 9), FileType.S_IFREG | 0047, 7, 7, Access.W));
    }

    @Test
    void groupsAreAskedOnlyWhenTheyMatter() {
        Groups exploding = new Groups() {
            @Override public boolean contains(int gid) {
                throw new AssertionError("groups resolved although group and other bits agree");
            }

            @Override public int[] toArray() {
                throw new AssertionError();
            }
        };
        assertTrue(Access.allowed(new Caller(8, 9, 1, exploding), FileType.S_IFREG | 0644, 7, 7, Access.R));
    }

    @Test
    void rootNeedsSomeExecuteBit() {
        assertFalse(Access.allowed(Caller.ROOT, FileType.S_IFREG | 0644, 7, 7, Access.X));
        assertTrue(Access.allowed(Caller.ROOT, FileType.S_IFREG | 0001, 7, 7, Access.X));
        assertTrue(Access.allowed(Caller.ROOT, FileType.S_IFDIR | 0000, 7, 7, Access.X | Access.W));
    }

    @Test
    void chmodWithoutGroupMembershipDropsSetgid() throws Exception {
        SetAttr out = Access.checkSetattr(Caller.of(7, 7), file(0644, 7, 50), SetAttr.mode(02755));
        assertEquals(0755, out.mode());
        out = Access.checkSetattr(Caller.of(7, 7, 50), file(0644, 7, 50), SetAttr.mode(02755));
        assertEquals(02755, out.mode());
    }

    @Test
    void chownKillsSetuidEvenForRoot() throws Exception {
        SetAttr out = Access.checkSetattr(Caller.ROOT, file(04644, 7, 7), SetAttr.owner(8, -1));
        assertTrue(out.has(SetAttr.MODE));
        assertEquals(0644, out.mode());
        SetAttr dirChange = SetAttr.owner(8, -1);
        assertSame(dirChange, Access.checkSetattr(Caller.ROOT, dir(04755, 7, 7), dirChange));
    }

    @Test
    void truncateByOthersKillsSetIdButNotByRoot() throws Exception {
        assertEquals(0777, Access.checkSetattr(Caller.of(8, 8), file(06777, 7, 7), SetAttr.size(0)).mode());
        assertFalse(Access.checkSetattr(Caller.ROOT, file(06777, 7, 7), SetAttr.size(0)).has(SetAttr.MODE));
    }

    @Test
    void writesKeepSetgidWithoutGroupExecuteOnlyForMembers() {
        assertEquals(02666, Access.modeAfterWrite(Caller.of(8, 8, 50), 02666, 50));
        assertEquals(0666, Access.modeAfterWrite(Caller.of(8, 8), 02666, 50));
        assertEquals(0676, Access.modeAfterWrite(Caller.of(8, 8, 50), 06676, 50));
        assertEquals(06676, Access.modeAfterWrite(Caller.ROOT, 06676, 50));
    }

    @Test
    void setattrSizeOnDirectory() {
        assertEquals(Errno.EISDIR, assertThrows(FsException.class,
                () -> Access.checkSetattr(Caller.ROOT, dir(0755, 0, 0), SetAttr.size(0))).errno());
    }

    @Test
    void newObjectsInSetgidDirectories() {
        Attr d = dir(02775, 0, 50);
        Access.Ownership o = Access.newObject(Caller.of(7, 7), d, FileType.S_IFDIR | 0755);
        assertEquals(50, o.gid());
        assertEquals(FileType.S_IFDIR | 02755, o.mode());
        // a group-executable set-gid file inheriting a group the creator is not in loses the bit
        o = Access.newObject(Caller.of(7, 7), dir(02777, 0, 50), FileType.S_IFREG | 02775);
        assertEquals(FileType.S_IFREG | 0775, o.mode());
        o = Access.newObject(Caller.of(7, 7), dir(0777, 0, 50), FileType.S_IFREG | 02775);
        assertEquals(FileType.S_IFREG | 02775, o.mode(), "in its own group it keeps the bit");
    }

    @Test
    void xattrNamespaces() throws Exception {
        Attr f = file(0644, 7, 7);
        assertEquals(Errno.EPERM, assertThrows(FsException.class,
                () -> Access.checkXattr(Caller.of(7, 7), f, XattrName.of("trusted.x"), true)).errno());
        assertEquals(Errno.ENODATA, assertThrows(FsException.class,
                () -> Access.checkXattr(Caller.of(7, 7), f, XattrName.of("trusted.x"), false)).errno());
        Access.checkXattr(Caller.of(7, 7), f, XattrName.of("user.x"), true);
        assertEquals(Errno.EACCES, assertThrows(FsException.class,
                () -> Access.checkXattr(Caller.of(8, 8), f, XattrName.of("user.x"), true)).errno());
        assertEquals(Errno.EOPNOTSUPP, assertThrows(FsException.class,
                () -> Access.checkXattr(Caller.ROOT, f, XattrName.of("bogus.x"), false)).errno());
    }
}
