package io.strata.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.strata.core.OpenFlags;
import io.strata.core.Attr;
import io.strata.core.Created;
import io.strata.core.SetAttr;
import org.junit.jupiter.api.Test;

class TimesTest extends FsTestSupport {
    static final long DAY = 86_400_000_000_000L;

    static SetAttr times(int valid, long atime, long mtime) {
        return new SetAttr(valid, 0, 0, 0, 0, atime, mtime, 0, -1);
    }

    @Test
    void createSetsAllTimesOfTheChildAndMtimeCtimeOfTheParent() throws Exception {
        long d = mkdir(ROOT, "d");
        long before = attr(d).atimeNs();
        long t = tick();
        Created c = fs.create(ROOT_CALLER, d, n("f"), 0644, RW, 0);
        Attr a = c.entry().attr();
        assertEquals(t, a.atimeNs());
        assertEquals(t, a.mtimeNs());
        assertEquals(t, a.ctimeNs());
        Attr p = attr(d);
        assertEquals(t, p.mtimeNs());
        assertEquals(t, p.ctimeNs());
        assertEquals(before, p.atimeNs(), "creating does not touch the parent's atime");
    }

    @Test
    void writeUpdatesMtimeAndCtimeOnly() throws Exception {
        Created c = fs.create(ROOT_CALLER, ROOT, n("f"), 0644, RW, 0);
        long f = c.entry().ino(), fh = c.opened().fh();
        long created = attr(f).atimeNs();
        long t = tick();
        write(f, fh, 0, "x");
        Attr a = attr(f);
        assertEquals(t, a.mtimeNs());
        assertEquals(t, a.ctimeNs());
        assertEquals(created, a.atimeNs());
        tick();
        write(f, fh, 0, new byte[0]);
        assertEquals(t, attr(f).mtimeNs(), "an empty write changes nothing");
    }

    @Test
    void readUpdatesAtimeRelatimeStyle() throws Exception {
        Created c = fs.create(ROOT_CALLER, ROOT, n("f"), 0644, RW, 0);
        long f = c.entry().ino(), fh = c.opened().fh();
        write(f, fh, 0, "data");
        long t1 = tick();
        read(f, fh, 0, 4);
        assertEquals(t1, attr(f).atimeNs(), "atime <= mtime: updated");
        tick();
        read(f, fh, 0, 4);
        assertEquals(t1, attr(f).atimeNs(), "atime newer than mtime and fresh: kept");
        long t3 = clock.addAndGet(DAY);
        read(f, fh, 0, 4);
        assertEquals(t3, attr(f).atimeNs(), "a day old: updated");
        long noatime = fs.open(ROOT_CALLER, f, OpenFlags.O_RDONLY | OpenFlags.O_NOATIME).fh();
        write(f, fh, 0, "D");
        tick();
        read(f, noatime, 0, 4);
        assertEquals(t3, attr(f).atimeNs(), "O_NOATIME reads leave atime alone");
    }

    @Test
    void setattrWithNowAndExplicitTimes() throws Exception {
        long f = touch(ROOT, "f");
        long t = tick();
        fs.setattr(ROOT_CALLER, f, times(SetAttr.ATIME | SetAttr.ATIME_NOW | SetAttr.MTIME | SetAttr.MTIME_NOW, 0, 0));
        Attr a = attr(f);
        assertEquals(t, a.atimeNs());
        assertEquals(t, a.mtimeNs());
        assertEquals(t, a.ctimeNs());
        long t2 = tick();
        fs.setattr(ROOT_CALLER, f, times(SetAttr.ATIME | SetAttr.MTIME, -5_000_000_123L, 1_234_567_891L));
        a = attr(f);
        assertEquals(-5_000_000_123L, a.atimeNs(), "explicit, pre-epoch, nanosecond exact");
        assertEquals(1_234_567_891L, a.mtimeNs());
        assertEquals(t2, a.ctimeNs(), "ctime is always now");
        long t3 = tick();
        fs.setattr(ROOT_CALLER, f, times(SetAttr.MTIME, 0, 42));
        a = attr(f);
        assertEquals(-5_000_000_123L, a.atimeNs(), "atime not in the request: unchanged");
        assertEquals(42, a.mtimeNs());
        assertEquals(t3, a.ctimeNs());
        long t4 = tick();
        fs.setattr(ROOT_CALLER, f, new SetAttr(SetAttr.CTIME, 0, 0, 0, 0, 0, 0, 7, -1));
        assertEquals(t4, attr(f).ctimeNs(), "a requested ctime is overridden by now");
    }

    @Test
    void chmodChownLinkUnlinkRenameUpdateCtime() throws Exception {
        long f = touch(ROOT, "f");
        long m0 = attr(f).mtimeNs();
        long t = tick();
        fs.setattr(ROOT_CALLER, f, SetAttr.mode(0600));
        assertEquals(t, attr(f).ctimeNs());
        t = tick();
        fs.setattr(ROOT_CALLER, f, new SetAttr(SetAttr.UID | SetAttr.GID, 0, 5, 6, 0, 0, 0, 0, -1));
        assertEquals(t, attr(f).ctimeNs());
        t = tick();
        fs.link(ROOT_CALLER, f, ROOT, n("g"));
        assertEquals(t, attr(f).ctimeNs());
        assertEquals(t, attr(ROOT).mtimeNs());
        t = tick();
        fs.unlink(ROOT_CALLER, ROOT, n("g"));
        assertEquals(t, attr(f).ctimeNs());
        assertEquals(t, attr(ROOT).ctimeNs());
        t = tick();
        fs.rename(ROOT_CALLER, ROOT, n("f"), ROOT, n("h"), 0);
        assertEquals(t, attr(f).ctimeNs());
        assertEquals(m0, attr(f).mtimeNs(), "none of these change the data, so mtime stays");
    }

    @Test
    void sizeChangeUpdatesMtimeAndCtime() throws Exception {
        long f = touch(ROOT, "f");
        long t = tick();
        fs.setattr(ROOT_CALLER, f, SetAttr.size(100));
        assertEquals(t, attr(f).mtimeNs());
        assertEquals(t, attr(f).ctimeNs());
        long t2 = tick();
        fs.setattr(ROOT_CALLER, f, SetAttr.size(100)); // same size: only ctime (setattr always)
        assertEquals(t, attr(f).mtimeNs());
        assertEquals(t2, attr(f).ctimeNs());
    }

    @Test
    void mkdirAndRmdirUpdateParentTimes() throws Exception {
        long t = tick();
        long d = mkdir(ROOT, "d");
        assertEquals(t, attr(ROOT).mtimeNs());
        assertEquals(t, attr(d).mtimeNs());
        long t2 = tick();
        fs.rmdir(ROOT_CALLER, ROOT, n("d"));
        assertEquals(t2, attr(ROOT).mtimeNs());
        assertEquals(t2, attr(ROOT).ctimeNs());
    }

    @Test
    void xattrChangesUpdateCtime() throws Exception {
        long f = touch(ROOT, "f");
        long t = tick();
        fs.setxattr(ROOT_CALLER, f, x("user.a"), new byte[] {1}, 0);
        assertEquals(t, attr(f).ctimeNs());
        long t2 = tick();
        fs.removexattr(ROOT_CALLER, f, x("user.a"));
        assertEquals(t2, attr(f).ctimeNs());
    }
}
