package io.strata.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.core.Entry;
import io.strata.core.Errno;
import io.strata.core.Name;
import io.strata.core.SetAttr;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Lookup references without names (retain), on "." and "..", and from readdirplus. */
class ReferencesTest extends FsTestSupport {

    @Test
    void retainAddsReferencesThatForgetDrops() throws Exception {
        long f = touch(ROOT, "f");
        assertEquals(1, fs.lookupCount(f));
        fs.retain(f, 3);
        assertEquals(4, fs.lookupCount(f));
        fs.retain(f, 0);
        assertEquals(4, fs.lookupCount(f));
        fs.forget(f, 4);
        assertEquals(0, fs.lookupCount(f));
        assertErrno(Errno.EINVAL, () -> fs.retain(f, -1));
    }

    @Test
    void retainedReferencesKeepAnUnlinkedInode() throws Exception {
        long f = touch(ROOT, "f");
        fs.retain(f, 1); // a 9P fid clone: two references now
        fs.unlink(ROOT_CALLER, ROOT, n("f"));
        fs.forget(f, 1);
        assertEquals(0, attr(f).nlink(), "one retained reference keeps it");
        fs.retain(f, 2); // retain works on an unlinked but live inode
        fs.forget(f, 3);
        assertErrno(Errno.ESTALE, () -> fs.getattr(ROOT_CALLER, f, -1), "last reference gone: freed");
        assertErrno(Errno.ESTALE, () -> fs.retain(f, 1), "a freed id is stale");
    }

    @Test
    void retainOfUnknownIdsIsStale() {
        assertErrno(Errno.ESTALE, () -> fs.retain(0, 1));
        assertErrno(Errno.ESTALE, () -> fs.retain(-5, 1));
        assertErrno(Errno.ESTALE, () -> fs.retain(123_456, 1));
        assertErrno(Errno.ESTALE, () -> fs.retain(Long.MAX_VALUE, 1));
    }

    @Test
    void retainAfterIdReuseCountsOnTheNewInode() throws Exception {
        long f = touch(ROOT, "f");
        Entry old = fs.lookup(ROOT_CALLER, ROOT, n("f"));
        fs.unlink(ROOT_CALLER, ROOT, n("f"));
        fs.forget(f, 2);
        Entry reused = fs.create(ROOT_CALLER, ROOT, n("g"), 0644, RW, 0).entry();
        assertEquals(old.ino(), reused.ino(), "the id came back");
        fs.retain(reused.ino(), 1); // lands on the new inode, which is the only one with this id now
        assertEquals(2, fs.lookupCount(reused.ino()));
        assertTrue(reused.generation() != old.generation());
    }

    @Test
    void dotAndDotDotAreCountedReferences() throws Exception {
        long d = mkdir(ROOT, "d");
        long rootBefore = fs.lookupCount(ROOT), dBefore = fs.lookupCount(d);
        Entry dot = fs.lookup(ROOT_CALLER, d, Name.DOT);
        assertEquals(d, dot.ino());
        assertEquals(dBefore + 1, fs.lookupCount(d));
        Entry dotdot = fs.lookup(ROOT_CALLER, d, Name.DOTDOT);
        assertEquals(ROOT, dotdot.ino());
        assertEquals(rootBefore + 1, fs.lookupCount(ROOT));
        Entry rootParent = fs.lookup(ROOT_CALLER, ROOT, Name.DOTDOT);
        assertEquals(ROOT, rootParent.ino(), "the root's '..' is the root");
        assertEquals(rootBefore + 2, fs.lookupCount(ROOT));
        assertTrue(rootParent.attr().isDirectory());
        fs.forget(ROOT, 2);
        fs.forget(d, 1);
        assertEquals(rootBefore, fs.lookupCount(ROOT));
        assertEquals(dBefore, fs.lookupCount(d));
    }

    @Test
    void dotOfARemovedDirectoryStillAnswersButDotDotDoesNot() throws Exception {
        long d = mkdir(ROOT, "d"); // one reference held from mkdir
        fs.rmdir(ROOT_CALLER, ROOT, n("d"));
        assertEquals(d, fs.lookup(ROOT_CALLER, d, Name.DOT).ino());
        assertEquals(2, fs.lookupCount(d));
        assertErrno(Errno.ENOENT, () -> fs.lookup(ROOT_CALLER, d, Name.DOTDOT), "its old parent may be gone");
        fs.forget(d, 2);
        assertErrno(Errno.ESTALE, () -> fs.lookup(ROOT_CALLER, d, Name.DOT));
    }

    /** Ten files whose lookup references are all dropped, so every count starts at zero. */
    long tenFiles(Map<Name, Long> inos) throws Exception {
        long d = mkdir(ROOT, "d");
        for (int i = 0; i < 10; i++) {
            long f = touch(d, "f" + i);
            fs.forget(f, 1);
            inos.put(n("f" + i), f);
        }
        return d;
    }

    @Test
    void readdirplusCountsAcceptedEntriesOnly() throws Exception {
        Map<Name, Long> inos = new HashMap<>();
        long d = tenFiles(inos);
        long dBefore = fs.lookupCount(d), rootBefore = fs.lookupCount(ROOT);
        List<Entry> taken = new ArrayList<>();
        long[] resume = {0};
        fs.readdirplus(ROOT_CALLER, d, 0, 0, (name, ino, type, next, e) -> {
            if (name.isDotOrDotDot()) {
                assertNull(e, "no entry (and no reference) for " + name);
                resume[0] = next;
                return true;
            }
            if (taken.size() == 4) return false; // full: this entry is refused
            assertNotNull(e);
            assertEquals(ino, e.ino());
            assertEquals(inos.get(name), e.ino());
            assertEquals(inos.get(name), e.attr().ino());
            taken.add(e);
            resume[0] = next;
            return true;
        });
        assertEquals(4, taken.size());
        Set<Long> takenInos = new HashSet<>();
        for (Entry e : taken) takenInos.add(e.ino());
        for (long f : inos.values()) {
            assertEquals(takenInos.contains(f) ? 1 : 0, fs.lookupCount(f), "ino " + f);
        }
        assertEquals(dBefore, fs.lookupCount(d), "'.' carries no reference");
        assertEquals(rootBefore, fs.lookupCount(ROOT), "'..' carries no reference");

        // resuming after the last accepted entry gives the other six, each counted once
        List<Entry> rest = new ArrayList<>();
        fs.readdirplus(ROOT_CALLER, d, 0, resume[0], (name, ino, type, next, e) -> rest.add(e));
        assertEquals(6, rest.size());
        for (long f : inos.values()) assertEquals(1, fs.lookupCount(f), "every file listed exactly once");
        for (Entry e : rest) assertTrue(!takenInos.contains(e.ino()));
    }

    @Test
    void aRefusalInTheMiddleOfALargeBatchDropsEveryUntakenReference() throws Exception {
        long d = mkdir(ROOT, "big");
        List<Long> files = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            long f = touch(d, "f" + i);
            fs.forget(f, 1);
            files.add(f);
        }
        int[] accepted = {0};
        fs.readdirplus(ROOT_CALLER, d, 0, 0, (name, ino, type, next, e) -> {
            if (e == null) return true;
            if (accepted[0] == 57) return false;
            accepted[0]++;
            return true;
        });
        long held = 0;
        for (long f : files) held += fs.lookupCount(f);
        assertEquals(57, held, "exactly the accepted entries hold references");
        for (int i = 0; i < 57; i++) assertEquals(1, fs.lookupCount(files.get(i)), "listing is in creation order");
    }

    @Test
    void aRefusedReferenceIsReallyDroppedSoTheInodeCanBeFreed() throws Exception {
        long d = mkdir(ROOT, "d");
        long f = touch(d, "f");
        fs.forget(f, 1);
        fs.readdirplus(ROOT_CALLER, d, 0, 2, (name, ino, type, next, e) -> false); // refuses "f"
        fs.unlink(ROOT_CALLER, d, n("f"));
        assertErrno(Errno.ESTALE, () -> fs.getattr(ROOT_CALLER, f, -1), "nothing held it");
    }

    @Test
    void readdirplusWithoutSearchPermissionListsNamesWithoutEntries() throws Exception {
        long d = mkdir(ALICE, ROOT, "d");
        long f = touch(ALICE, d, "f");
        fs.forget(f, 1);
        fs.setattr(ALICE, d, SetAttr.mode(0744)); // others may read the names, not look them up
        List<Name> names = new ArrayList<>();
        fs.readdirplus(BOB, d, 0, 0, (name, ino, type, next, e) -> {
            assertNull(e, "an entry would let the holder skip the search check");
            names.add(name);
            return true;
        });
        assertEquals(List.of(Name.DOT, Name.DOTDOT, n("f")), names);
        assertEquals(0, fs.lookupCount(f));
        assertErrno(Errno.EACCES, () -> fs.lookup(BOB, d, n("f")));
        // with search permission the same caller gets entries
        fs.setattr(ALICE, d, SetAttr.mode(0755));
        int[] entries = {0};
        fs.readdirplus(BOB, d, 0, 0, (name, ino, type, next, e) -> {
            if (e != null) entries[0]++;
            return true;
        });
        assertEquals(1, entries[0]);
        assertEquals(1, fs.lookupCount(f));
    }

    @Test
    void readdirplusOfARemovedDirectoryIsEnoent() throws Exception {
        long d = mkdir(ROOT, "d");
        fs.rmdir(ROOT_CALLER, ROOT, n("d"));
        assertErrno(Errno.ENOENT, () -> fs.readdirplus(ROOT_CALLER, d, 0, 0, (name, ino, type, next, e) -> true));
        assertErrno(Errno.ENOTDIR, () -> fs.readdirplus(ROOT_CALLER, touch(ROOT, "file"), 0, 0,
                (name, ino, type, next, e) -> true));
    }
}
