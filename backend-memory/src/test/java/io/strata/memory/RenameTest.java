package io.strata.memory;

import static io.strata.core.FileSystem.RENAME_EXCHANGE;
import static io.strata.core.FileSystem.RENAME_NOREPLACE;
import static io.strata.core.FileSystem.RENAME_WHITEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.strata.core.Errno;
import java.util.List;
import org.junit.jupiter.api.Test;

class RenameTest extends FsTestSupport {

    @Test
    void simpleRenameWithinAndAcrossDirectories() throws Exception {
        long f = touch(ROOT, "a");
        long d = mkdir(ROOT, "d");
        fs.rename(ROOT_CALLER, ROOT, "a", ROOT, "b", 0);
        assertEquals(f, lookupIno(ROOT, "b"));
        assertErrno(Errno.ENOENT, () -> fs.lookup(ROOT_CALLER, ROOT, "a"));
        fs.rename(ROOT_CALLER, ROOT, "b", d, "c", 0);
        assertEquals(f, lookupIno(d, "c"));
        assertEquals(List.of(".", "..", "d"), list(ROOT));
        assertEquals(1, attr(f).nlink());
    }

    @Test
    void renameOverExistingFileReplacesIt() throws Exception {
        long a = touch(ROOT, "a");
        long b = touch(ROOT, "b");
        fs.lookup(ROOT_CALLER, ROOT, "b"); // keep b's inode alive to look at it afterwards
        fs.rename(ROOT_CALLER, ROOT, "a", ROOT, "b", 0);
        assertEquals(a, lookupIno(ROOT, "b"));
        assertEquals(List.of(".", "..", "b"), list(ROOT));
        assertEquals(0, attr(b).nlink(), "the replaced file lost its only link");
    }

    @Test
    void renameOverEmptyDirectoryReplacesItAndFixesLinkCounts() throws Exception {
        long p1 = mkdir(ROOT, "p1");
        long p2 = mkdir(ROOT, "p2");
        long src = mkdir(p1, "src");
        long victim = mkdir(p2, "victim");
        assertEquals(3, attr(p1).nlink());
        assertEquals(3, attr(p2).nlink());
        fs.rename(ROOT_CALLER, p1, "src", p2, "victim", 0);
        assertEquals(src, lookupIno(p2, "victim"));
        assertEquals(p2, lookupIno(src, ".."), "'..' follows the move");
        assertEquals(2, attr(p1).nlink(), "p1 lost a subdirectory");
        assertEquals(3, attr(p2).nlink(), "p2 lost victim and gained src");
        assertEquals(0, attr(victim).nlink());
    }

    @Test
    void renameOverNonEmptyDirectoryIsEnotempty() throws Exception {
        mkdir(ROOT, "src");
        long t = mkdir(ROOT, "target");
        touch(t, "x");
        assertErrno(Errno.ENOTEMPTY, () -> fs.rename(ROOT_CALLER, ROOT, "src", ROOT, "target", 0));
        assertEquals(List.of(".", "..", "src", "target"), list(ROOT));
    }

    @Test
    void directoryOverNonDirectoryIsEnotdirAndViceVersaEisdir() throws Exception {
        mkdir(ROOT, "dir");
        touch(ROOT, "file");
        assertErrno(Errno.ENOTDIR, () -> fs.rename(ROOT_CALLER, ROOT, "dir", ROOT, "file", 0));
        assertErrno(Errno.EISDIR, () -> fs.rename(ROOT_CALLER, ROOT, "file", ROOT, "dir", 0));
        assertEquals(List.of(".", "..", "dir", "file"), list(ROOT));
    }

    @Test
    void directoryIntoItsOwnSubtreeIsEinval() throws Exception {
        long a = mkdir(ROOT, "a");
        long b = mkdir(a, "b");
        long c = mkdir(b, "c");
        assertErrno(Errno.EINVAL, () -> fs.rename(ROOT_CALLER, ROOT, "a", c, "a", 0));
        assertErrno(Errno.EINVAL, () -> fs.rename(ROOT_CALLER, ROOT, "a", a, "self", 0));
        assertErrno(Errno.EINVAL, () -> fs.rename(ROOT_CALLER, a, "b", b, "x", RENAME_NOREPLACE));
        // moving a subtree up is fine
        fs.rename(ROOT_CALLER, b, "c", ROOT, "c", 0);
        assertEquals(ROOT, lookupIno(c, ".."));
        assertEquals(2, attr(b).nlink());
        assertEquals(4, attr(ROOT).nlink());
    }

    @Test
    void renameOntoAnotherNameOfTheSameInodeIsANoOp() throws Exception {
        long f = touch(ROOT, "a");
        fs.link(ROOT_CALLER, f, ROOT, "b");
        long ctime = attr(f).ctimeNs();
        tick();
        fs.rename(ROOT_CALLER, ROOT, "a", ROOT, "b", 0);
        assertEquals(List.of(".", "..", "a", "b"), list(ROOT), "both names stay");
        assertEquals(2, attr(f).nlink());
        assertEquals(ctime, attr(f).ctimeNs(), "nothing changed, not even ctime");
        fs.rename(ROOT_CALLER, ROOT, "a", ROOT, "a", 0);
        assertEquals(f, lookupIno(ROOT, "a"));
    }

    @Test
    void noreplaceRefusesAnExistingTarget() throws Exception {
        long a = touch(ROOT, "a");
        long b = touch(ROOT, "b");
        assertErrno(Errno.EEXIST, () -> fs.rename(ROOT_CALLER, ROOT, "a", ROOT, "b", RENAME_NOREPLACE));
        assertEquals(a, lookupIno(ROOT, "a"));
        assertEquals(b, lookupIno(ROOT, "b"));
        fs.rename(ROOT_CALLER, ROOT, "a", ROOT, "c", RENAME_NOREPLACE);
        assertEquals(a, lookupIno(ROOT, "c"));
    }

    @Test
    void exchangeSwapsTwoFiles() throws Exception {
        long a = touch(ROOT, "a");
        long d = mkdir(ROOT, "d");
        long b = touch(d, "b");
        fs.rename(ROOT_CALLER, ROOT, "a", d, "b", RENAME_EXCHANGE);
        assertEquals(b, lookupIno(ROOT, "a"));
        assertEquals(a, lookupIno(d, "b"));
        assertEquals(1, attr(a).nlink());
        assertEquals(1, attr(b).nlink());
    }

    @Test
    void exchangeOfDirectoryAndFileAcrossParentsFixesDotDotLinks() throws Exception {
        long p1 = mkdir(ROOT, "p1");
        long p2 = mkdir(ROOT, "p2");
        long dir = mkdir(p1, "x");
        long file = touch(p2, "y");
        assertEquals(3, attr(p1).nlink());
        assertEquals(2, attr(p2).nlink());
        fs.rename(ROOT_CALLER, p1, "x", p2, "y", RENAME_EXCHANGE);
        assertEquals(file, lookupIno(p1, "x"));
        assertEquals(dir, lookupIno(p2, "y"));
        assertEquals(p2, lookupIno(dir, ".."));
        assertEquals(2, attr(p1).nlink(), "p1 no longer has a subdirectory");
        assertEquals(3, attr(p2).nlink(), "p2 now has one");
        assertEquals(2, attr(dir).nlink());
    }

    @Test
    void exchangeOfTwoDirectoriesAcrossParents() throws Exception {
        long p1 = mkdir(ROOT, "p1");
        long p2 = mkdir(ROOT, "p2");
        long x = mkdir(p1, "x");
        long y = mkdir(p2, "y");
        fs.rename(ROOT_CALLER, p1, "x", p2, "y", RENAME_EXCHANGE);
        assertEquals(y, lookupIno(p1, "x"));
        assertEquals(x, lookupIno(p2, "y"));
        assertEquals(p2, lookupIno(x, ".."));
        assertEquals(p1, lookupIno(y, ".."));
        assertEquals(3, attr(p1).nlink());
        assertEquals(3, attr(p2).nlink());
    }

    @Test
    void exchangeNeedsBothNames() throws Exception {
        touch(ROOT, "a");
        assertErrno(Errno.ENOENT, () -> fs.rename(ROOT_CALLER, ROOT, "a", ROOT, "missing", RENAME_EXCHANGE));
        assertErrno(Errno.ENOENT, () -> fs.rename(ROOT_CALLER, ROOT, "missing", ROOT, "a", RENAME_EXCHANGE));
    }

    @Test
    void exchangeIntoOwnSubtreeIsEinval() throws Exception {
        long a = mkdir(ROOT, "a");
        long b = mkdir(a, "b");
        touch(b, "f");
        assertErrno(Errno.EINVAL, () -> fs.rename(ROOT_CALLER, ROOT, "a", b, "f", RENAME_EXCHANGE));
        assertErrno(Errno.EINVAL, () -> fs.rename(ROOT_CALLER, b, "f", ROOT, "a", RENAME_EXCHANGE));
    }

    @Test
    void unsupportedAndContradictoryFlagsAreEinval() throws Exception {
        touch(ROOT, "a");
        touch(ROOT, "b");
        assertErrno(Errno.EINVAL, () -> fs.rename(ROOT_CALLER, ROOT, "a", ROOT, "c", RENAME_WHITEOUT));
        assertErrno(Errno.EINVAL,
                () -> fs.rename(ROOT_CALLER, ROOT, "a", ROOT, "b", RENAME_EXCHANGE | RENAME_NOREPLACE));
        assertErrno(Errno.EINVAL, () -> fs.rename(ROOT_CALLER, ROOT, "a", ROOT, "c", 64));
        assertErrno(Errno.ENOENT, () -> fs.rename(ROOT_CALLER, ROOT, "missing", ROOT, "c", 0));
        assertEquals(List.of(".", "..", "a", "b"), list(ROOT));
    }

    @Test
    void renameUpdatesTimes() throws Exception {
        long d1 = mkdir(ROOT, "d1");
        long d2 = mkdir(ROOT, "d2");
        long f = touch(d1, "f");
        long t = tick();
        fs.rename(ROOT_CALLER, d1, "f", d2, "g", 0);
        assertEquals(t, attr(d1).mtimeNs());
        assertEquals(t, attr(d1).ctimeNs());
        assertEquals(t, attr(d2).mtimeNs());
        assertEquals(t, attr(f).ctimeNs(), "the moved inode's ctime changes");
    }

    @Test
    void renamedTargetStaysReadableThroughAnOpenHandle() throws Exception {
        long a = touch(ROOT, "a");
        long b = touch(ROOT, "b");
        long fh = open(b, RW);
        write(b, fh, 0, "old b");
        fs.rename(ROOT_CALLER, ROOT, "a", ROOT, "b", 0);
        assertEquals("old b", readString(b, fh, 0, 100));
        fs.release(b, fh, 0);
        assertEquals(a, lookupIno(ROOT, "b"));
    }
}
