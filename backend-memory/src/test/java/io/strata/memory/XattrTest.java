package io.strata.memory;

import static io.strata.core.FileSystem.XATTR_CREATE;
import static io.strata.core.FileSystem.XATTR_REPLACE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.core.FileType;
import io.strata.core.Errno;
import io.strata.core.XattrName;
import java.util.List;
import java.util.Set;
import java.util.HashSet;
import org.junit.jupiter.api.Test;

class XattrTest extends FsTestSupport {

    @Test
    void setGetListRemoveInAllNamespaces() throws Exception {
        long f = touch(ROOT, "f");
        fs.setxattr(ROOT_CALLER, f, x("user.mime"), "text/plain".getBytes(), 0);
        fs.setxattr(ROOT_CALLER, f, x("trusted.overlay.opaque"), new byte[] {'y'}, 0);
        fs.setxattr(ROOT_CALLER, f, x("security.selinux"), "ctx\0".getBytes(), 0);
        fs.setxattr(ROOT_CALLER, f, x("user.empty"), new byte[0], 0);
        assertArrayEquals("text/plain".getBytes(), fs.getxattr(ROOT_CALLER, f, x("user.mime")));
        assertArrayEquals(new byte[] {'y'}, fs.getxattr(ROOT_CALLER, f, x("trusted.overlay.opaque")));
        assertArrayEquals(new byte[0], fs.getxattr(ROOT_CALLER, f, x("user.empty")));
        assertEquals(Set.of(x("user.mime"), x("trusted.overlay.opaque"), x("security.selinux"), x("user.empty")),
                new HashSet<>(fs.listxattr(ROOT_CALLER, f)));
        fs.removexattr(ROOT_CALLER, f, x("user.mime"));
        assertErrno(Errno.ENODATA, () -> fs.getxattr(ROOT_CALLER, f, x("user.mime")));
        assertErrno(Errno.ENODATA, () -> fs.removexattr(ROOT_CALLER, f, x("user.mime")));
        assertEquals(3, fs.listxattr(ROOT_CALLER, f).size());
    }

    @Test
    void createAndReplaceFlags() throws Exception {
        long f = touch(ROOT, "f");
        assertErrno(Errno.ENODATA, () -> fs.setxattr(ROOT_CALLER, f, x("user.a"), new byte[] {1}, XATTR_REPLACE));
        fs.setxattr(ROOT_CALLER, f, x("user.a"), new byte[] {1}, XATTR_CREATE);
        assertErrno(Errno.EEXIST, () -> fs.setxattr(ROOT_CALLER, f, x("user.a"), new byte[] {2}, XATTR_CREATE));
        assertArrayEquals(new byte[] {1}, fs.getxattr(ROOT_CALLER, f, x("user.a")), "a refused set changes nothing");
        fs.setxattr(ROOT_CALLER, f, x("user.a"), new byte[] {3}, XATTR_REPLACE);
        assertArrayEquals(new byte[] {3}, fs.getxattr(ROOT_CALLER, f, x("user.a")));
        fs.setxattr(ROOT_CALLER, f, x("user.a"), new byte[] {4}, 0);
        assertArrayEquals(new byte[] {4}, fs.getxattr(ROOT_CALLER, f, x("user.a")));
        assertErrno(Errno.EINVAL, () -> fs.setxattr(ROOT_CALLER, f, x("user.a"), new byte[] {1}, 4));
    }

    @Test
    void sizeLimitsAndNames() throws Exception {
        long f = touch(ROOT, "f");
        String longest = "user." + "n".repeat(250);
        fs.setxattr(ROOT_CALLER, f, x(longest), new byte[65536], 0);
        assertEquals(65536, fs.getxattr(ROOT_CALLER, f, x(longest)).length);
        String tooLong = "user." + "n".repeat(251);
        // v2: an XattrName is validated when it is made, as setxattr(2) does before the file system
        assertErrno(Errno.ERANGE, () -> XattrName.of(b(tooLong)));
        assertErrno(Errno.ERANGE, () -> XattrName.of(new byte[0]));
        assertErrno(Errno.E2BIG, () -> fs.setxattr(ROOT_CALLER, f, x("user.big"), new byte[65537], 0));
        assertErrno(Errno.ENODATA, () -> fs.getxattr(ROOT_CALLER, f, x("user.absent")));
        assertErrno(Errno.EOPNOTSUPP, () -> fs.setxattr(ROOT_CALLER, f, x("system.posix_acl_access"), new byte[4], 0));
        assertErrno(Errno.EOPNOTSUPP, () -> fs.setxattr(ROOT_CALLER, f, x("bogus.x"), new byte[1], 0));
        assertErrno(Errno.EINVAL, () -> fs.setxattr(ROOT_CALLER, f, x("user."), new byte[1], 0));
    }

    @Test
    void valuesAreCopiedNotShared() throws Exception {
        long f = touch(ROOT, "f");
        byte[] v = {1, 2, 3};
        fs.setxattr(ROOT_CALLER, f, x("user.v"), v, 0);
        v[0] = 9;
        byte[] got = fs.getxattr(ROOT_CALLER, f, x("user.v"));
        assertEquals(1, got[0]);
        got[1] = 9;
        assertEquals(2, fs.getxattr(ROOT_CALLER, f, x("user.v"))[1]);
    }

    @Test
    void namespacePermissions() throws Exception {
        long f = touch(ALICE, ROOT, "f"); // 0644 alice
        fs.setxattr(ROOT_CALLER, f, x("trusted.t"), new byte[] {1}, 0);
        fs.setxattr(ALICE, f, x("user.u"), new byte[] {1}, 0);
        assertErrno(Errno.EPERM, () -> fs.setxattr(ALICE, f, x("trusted.x"), new byte[1], 0));
        assertErrno(Errno.ENODATA, () -> fs.getxattr(ALICE, f, x("trusted.t")), "trusted.* is invisible to users");
        assertEquals(List.of(x("user.u")), fs.listxattr(ALICE, f));
        assertErrno(Errno.EPERM, () -> fs.setxattr(ALICE, f, x("security.x"), new byte[1], 0));
        assertArrayEquals(new byte[] {1}, fs.getxattr(BOB, f, x("user.u")), "readable by others with r permission");
        assertErrno(Errno.EACCES, () -> fs.setxattr(BOB, f, x("user.u"), new byte[1], 0));
        long fifo = fs.mknod(ALICE, ROOT, n("p"), FileType.S_IFIFO | 0666, 0, 0).ino();
        assertErrno(Errno.EPERM, () -> fs.setxattr(ALICE, fifo, x("user.u"), new byte[1], 0));
        fs.setxattr(ROOT_CALLER, fifo, x("trusted.ok"), new byte[1], 0);
        assertTrue(fs.listxattr(ROOT_CALLER, fifo).contains(x("trusted.ok")));
    }
}
