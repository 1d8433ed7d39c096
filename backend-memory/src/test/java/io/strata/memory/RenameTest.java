package io.strata.memory;

import static io.strata.core.FileSystem.RENAME_EXCHANGE;
import static io.strata.core.FileSystem.RENAME_NOREPLACE;
import static io.strata.core.FileSystem.RENAME_WHITEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.strata.core.Errno;
import io.strata.core.Name;
import java.util.List;
import org.junit.jupiter.api.Test;

class RenameTest extends FsTestSupport {

    @Test
    void simpleRenameWithinAndAcrossDirectories() throws Exception {
        long f = touch(ROOT, "a");
        long d = mkdir(ROOT, "d");
        fs.rename(ROOT_CALLER, ROOT, n("a"), ROOT, n("b"), 0);
        assertEquals(f, lookupIno(ROOT, "b"));
        assertErrno(Errno.ENOENT, () -> fs.lookup(ROOT_CALLER, ROOT, n("a")));
        fs.rename(ROOT_CALLER, ROOT, n("b"), d, n("c"), 0);
        assertEquals(f, lookupIno(d, "c"));
        assertEquals(List.of(".", "..", "d"), list(ROOT));
        assertEquals(1, attr(f).nlink());
    }

    @Test
    void renameOverExistingFileReplacesIt() throws Exception {
        long a = touch(ROOT, "a");
        long b = touch(ROOT, "b");
        fs.lookup(ROOT_CALLER, ROOT, n("b")); // keep b's inode alive to look at it afterwards
        fs.rename(ROOT_CALLER, ROOT, n("a"), ROOT, n("b"), 0);
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
        fs.rename(ROOT_CALLER, p1, n("src"), p2, n("victim"), 0);
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
        assertErrno(Errno.ENOTEMPTY, () -> fs.rename(ROOT_CALLER, ROOT, n("src"), ROOT, n("target"), 0));
        assertEquals(List.of(".", "..", "src", "target"), list(ROOT));
    }

    @Test
    void directoryOverNonDirectoryIsEnotdirAndViceVersaEisdir() throws Exception {
        mkdir(ROOT, "dir");
        touch(ROOT, "file");
        assertErrno(Errno.ENOTDIR, () -> fs.rename(ROOT_CALLER, ROOT, n("dir"), ROOT, n("file"), 0));
        assertErrno(Errno.EISDIR, () -> fs.rename(ROOT_CALLER, ROOT, n("file"), ROOT, n("dir"), 0));
        assertEquals(List.of(".", "..", "dir", "file"), list(ROOT));
    }

    @Test
    void directoryIntoItsOwnSubtreeIsEinval() throws Exception {
        long a = mkdir(ROOT, "a");
        long b = mkdir(a, "b");
        long c = mkdir(b, "c");
        assertErrno(Errno.EINVAL, () -> fs.rename(ROOT_CALLER, ROOT, n("a"), c, n("a"), 0));
        assertErrno(Errno.EINVAL, () -> fs.rename(ROOT_CALLER, ROOT, n("a"), a, n("self"), 0));
        assertErrno(Errno.EINVAL, () -> fs.rename(ROOT_CALLER, a, n("b"), b, n("x"), RENAME_NOREPLACE));
        // moving a subtree up is fine
        fs.rename(ROOT_CALLER, b, n("c"), ROOT, n("c"), 0);
        assertEquals(ROOT, lookupIno(c, ".."));
        assertEquals(2, attr(b).nlink());
        assertEquals(4, attr(ROOT).nlink());
    }

    @Test
    void renameOntoAnotherNameOfTheSameInodeIsANoOp() throws Exception {
        long f = touch(ROOT, "a");
        fs.link(ROOT_CALLER, f, ROOT, n("b"));
        long ctime = attr(f).ctimeNs();
        tick();
        fs.rename(ROOT_CALLER, ROOT, n("a"), ROOT, n("b"), 0);
        assertEquals(List.of(".", "..", "a", "b"), list(ROOT), "both names stay");
        assertEquals(2, attr(f).nlink());
        assertEquals(ctime, attr(f).ctimeNs(), "nothing changed, not even ctime");
        fs.rename(ROOT_CALLER, ROOT, n("a"), ROOT, n("a"), 0);
        assertEquals(f, lookupIno(ROOT, "a"));
    }

    @Test
    void noreplaceRefusesAnExistingTarget() throws Exception {
        long a = touch(ROOT, "a");
        long b = touch(ROOT, "b");
        assertErrno(Errno.EEXIST, () -> fs.rename(ROOT_CALLER, ROOT, n("a"), ROOT, n("b"), RENAME_NOREPLACE));
        assertEquals(a, lookupIno(ROOT, "a"));
        assertEquals(b, lookupIno(ROOT, "b"));
        fs.rename(ROOT_CALLER, ROOT, n("a"), ROOT, n("c"), RENAME_NOREPLACE);
        assertEquals(a, lookupIno(ROOT, "c"));
    }

    @Test
    void exchangeSwapsTwoFiles() throws Exception {
        long a = touch(ROOT, "a");
        long d = mkdir(ROOT, "d");
        long b = touch(d, "b");
        fs.rename(ROOT_CALLER, ROOT, n("a"), d, n("b"), RENAME_EXCHANGE);
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
        fs.rename(ROOT_CALLER, p1, n("x"), p2, n("y"), RENAME_EXCHANGE);
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
        fs.rename(ROOT_CALLER, p1, n("x"), p2, n("y"), RENAME_EXCHANGE);
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
        assertErrno(Errno.ENOENT, () -> fs.rename(ROOT_CALLER, ROOT, n("a"), ROOT, n("missing"), RENAME_EXCHANGE));
        assertErrno(Errno.ENOENT, () -> fs.rename(ROOT_CALLER, ROOT, n("missing"), ROOT, n("a"), RENAME_EXCHANGE));
    }

    @Test
    void exchangeIntoOwnSubtreeIsEinval() throws Exception {
        long a = mkdir(ROOT, "a");
        long b = mkdir(a, "b");
        touch(b, "f");
        assertErrno(Errno.EINVAL, () -> fs.rename(ROOT_CALLER, ROOT, n("a"), b, n("f"), RENAME_EXCHANGE));
        assertErrno(Errno.EINVAL, () -> fs.rename(ROOT_CALLER, b, n("f"), ROOT, n("a"), RENAME_EXCHANGE));
    }

    @Test
    void unsupportedAndContradictoryFlagsAreEinval() throws Exception {
        touch(ROOT, "a");
        touch(ROOT, "b");
        assertErrno(Errno.EINVAL,
                () -> fs.rename(ROOT_CALLER, ROOT, n("a"), ROOT, n("b"), RENAME_EXCHANGE | RENAME_NOREPLACE));
        assertErrno(Errno.EINVAL,
                () -> fs.rename(ROOT_CALLER, ROOT, n("a"), ROOT, n("b"), RENAME_EXCHANGE | RENAME_WHITEOUT));
        assertErrno(Errno.EINVAL, () -> fs.rename(ROOT_CALLER, ROOT, n("a"), ROOT, n("c"), 64));
        assertErrno(Errno.ENOENT, () -> fs.rename(ROOT_CALLER, ROOT, n("missing"), ROOT, n("c"), 0));
        assertEquals(List.of(".", "..", "a", "b"), list(ROOT));
    }

    @Test
    void renameUpdatesTimes() throws Exception {
        long d1 = mkdir(ROOT, "d1");
        long d2 = mkdir(ROOT, "d2");
        long f = touch(d1, "f");
        long t = tick();
        fs.rename(ROOT_CALLER, d1, n("f"), d2, n("g"), 0);
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
        fs.rename(ROOT_CALLER, ROOT, n("a"), ROOT, n("b"), 0);
        assertEquals("old b", readString(b, fh, 0, 100));
        fs.release(b, fh, 0);
        assertEquals(a, lookupIno(ROOT, "b"));
    }

    @Test
    void dotNamesOnEitherSideAreEbusy() throws Exception {
        long d = mkdir(ROOT, "d");
        touch(ROOT, "f");
        for (Name dot : List.of(Name.DOT, Name.DOTDOT)) {
            assertErrno(Errno.EBUSY, () -> fs.rename(ROOT_CALLER, d, dot, ROOT, n("x"), 0), "from " + dot);
            assertErrno(Errno.EBUSY, () -> fs.rename(ROOT_CALLER, ROOT, n("f"), d, dot, 0), "to " + dot);
            assertErrno(Errno.EBUSY, () -> fs.rename(ROOT_CALLER, ROOT, n("f"), d, dot, RENAME_EXCHANGE));
            // do_renameat2: a dot target under RENAME_NOREPLACE is EEXIST
            assertErrno(Errno.EEXIST, () -> fs.rename(ROOT_CALLER, ROOT, n("f"), d, dot, RENAME_NOREPLACE));
            assertErrno(Errno.EBUSY, () -> fs.rename(ROOT_CALLER, d, dot, ROOT, n("x"), RENAME_NOREPLACE));
        }
        assertEquals(List.of(".", "..", "d", "f"), list(ROOT));
    }

    @Test
    void renameOverAnAncestorIsEnotemptyAndExchangeWithOneIsEinval() throws Exception {
        long a = mkdir(ROOT, "a");
        touch(a, "f");
        assertErrno(Errno.ENOTEMPTY, () -> fs.rename(ROOT_CALLER, a, n("f"), ROOT, n("a"), 0));
        assertErrno(Errno.EINVAL, () -> fs.rename(ROOT_CALLER, a, n("f"), ROOT, n("a"), RENAME_EXCHANGE));
    }

    @Test
    void whiteoutLeavesACharacterDeviceZeroZeroOwnedByTheCaller() throws Exception {
        long a = touch(ROOT, "a");
        long inodes = fs.inodeCount();
        fs.rename(ROOT_CALLER, ROOT, n("a"), ROOT, n("b"), RENAME_WHITEOUT);
        assertEquals(a, lookupIno(ROOT, "b"));
        io.strata.core.Entry wh = fs.lookup(ROOT_CALLER, ROOT, n("a"));
        assertEquals(io.strata.core.FileType.S_IFCHR, wh.attr().mode(), "type only, no permission bits");
        assertEquals(0, wh.attr().rdev());
        assertEquals(0, wh.attr().uid());
        assertEquals(1, wh.attr().nlink());
        assertEquals(inodes + 1, fs.inodeCount());
        List<String> types = new java.util.ArrayList<>();
        fs.readdir(ROOT_CALLER, ROOT, 0, 0, (name, ino, type, next) -> types.add(name + ":" + type));
        assertEquals(List.of(".:4", "..:4", "a:" + io.strata.core.FileType.DT_CHR, "b:8"), types,
                "the whiteout keeps the old name's place");

        // over an existing target, and with NOREPLACE
        long c = touch(ROOT, "c");
        touch(ROOT, "d");
        fs.rename(ROOT_CALLER, ROOT, n("c"), ROOT, n("d"), RENAME_WHITEOUT);
        assertEquals(c, lookupIno(ROOT, "d"));
        assertEquals(io.strata.core.FileType.S_IFCHR, attr(lookupIno(ROOT, "c")).mode());
        assertErrno(Errno.EEXIST, () -> fs.rename(ROOT_CALLER, ROOT, n("b"), ROOT, n("d"),
                RENAME_WHITEOUT | RENAME_NOREPLACE));
        fs.rename(ROOT_CALLER, ROOT, n("b"), ROOT, n("e"), RENAME_WHITEOUT | RENAME_NOREPLACE);

        // a directory moves out and leaves a whiteout; parents' link counts follow the directory only
        long d1 = mkdir(ROOT, "d1");
        long sub = mkdir(d1, "sub");
        fs.rename(ROOT_CALLER, d1, n("sub"), ROOT, n("moved"), RENAME_WHITEOUT);
        assertEquals(sub, lookupIno(ROOT, "moved"));
        assertEquals(2, attr(d1).nlink());
        assertEquals(io.strata.core.FileType.S_IFCHR, attr(lookupIno(d1, "sub")).mode());
    }

    @Test
    void whiteoutNeedsRootAndSpace() throws Exception {
        long d = fs.mkdir(ROOT_CALLER, ROOT, n("d"), 0777, 0).ino();
        touch(ALICE, d, "a");
        assertErrno(Errno.EPERM, () -> fs.rename(ALICE, d, n("a"), d, n("b"), RENAME_WHITEOUT), "CAP_MKNOD");
        fs.rename(ALICE, d, n("a"), d, n("b"), 0); // the same rename without a whiteout is hers to do
        // the whiteout is a new inode: with none left the rename fails and changes nothing
        MemoryFileSystem small = newFs(MemoryOptions.defaults(0, 0).withSizeLimit(1 << 20).withMaxInodes(2));
        long f = small.create(ROOT_CALLER, ROOT, n("f"), 0644, RW, 0).entry().ino();
        assertErrno(Errno.ENOSPC, () -> small.rename(ROOT_CALLER, ROOT, n("f"), ROOT, n("g"), RENAME_WHITEOUT));
        assertEquals(f, small.lookup(ROOT_CALLER, ROOT, n("f")).ino());
        assertErrno(Errno.ENOENT, () -> small.lookup(ROOT_CALLER, ROOT, n("g")));
    }
}
