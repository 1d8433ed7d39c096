package io.strata.ninep;

import static org.junit.jupiter.api.Assertions.*;

import io.strata.core.*;
import io.strata.ninep.wire.DirEntries;
import io.strata.ninep.wire.DirEntry;
import io.strata.ninep.wire.Message;
import io.strata.ninep.wire.Message.*;
import io.strata.ninep.wire.P9;
import io.strata.ninep.wire.Qid;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@org.junit.jupiter.api.Timeout(30)
class ServerTest {
    static final int ALICE = 1000, BOB = 1001;
    Fixture fx;

    @BeforeEach
    void start() throws Exception {
        fx = new Fixture();
    }

    @AfterEach
    void stop() throws Exception {
        fx.close();
    }

    static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void readsAFile() throws Exception {
        try (RawClient c = fx.client(ALICE)) {
            Rwalk w = (Rwalk) c.walk(0, 1, "a.txt");
            assertEquals(1, w.qids().size());
            assertEquals(fx.ino("a.txt"), w.qids().get(0).path());
            assertEquals(P9.QTFILE, w.qids().get(0).type());
            Rlopen o = (Rlopen) c.rpc(new Tlopen(c.tag(), 1, OpenFlags.O_RDONLY));
            assertEquals(65536 - P9.IOHDRSZ, o.iounit());
            Rread r = (Rread) c.rpc(new Tread(c.tag(), 1, 0, 4096));
            assertArrayEquals(Fixture.HELLO, bytes(r.data()));
            Rread tail = (Rread) c.rpc(new Tread(c.tag(), 1, 7, 3));
            assertEquals("wor", new String(bytes(tail.data())));
            Rgetattr g = (Rgetattr) c.rpc(new Tgetattr(c.tag(), 1, P9.GETATTR_BASIC));
            assertEquals(Fixture.HELLO.length, g.attr().size());
            assertEquals(FileType.S_IFREG | 0644, g.attr().mode());
            assertEquals(0, g.attr().uid());
            assertEquals(P9.GETATTR_BASIC, g.valid() & P9.GETATTR_BASIC);
            assertInstanceOf(Rclunk.class, c.rpc(new Tclunk(c.tag(), 1)));
            assertEquals(Errno.EBADF, c.errno(c.rpc(new Tread(c.tag(), 1, 0, 10))));
        }
        assertTrue(fx.fs.settles(), "references " + fx.fs.refs + " handles " + fx.fs.handles);
    }

    private List<DirEntry> list(RawClient c, int fid, int count) throws Exception {
        List<DirEntry> all = new ArrayList<>();
        long off = 0;
        for (int round = 0; round < 100; round++) {
            Rreaddir r = (Rreaddir) c.rpc(new Treaddir(c.tag(), fid, off, count));
            List<DirEntry> got = DirEntries.parse(r.data(), 0);
            if (got.isEmpty()) return all;
            all.addAll(got);
            off = got.getLast().nextOffset();
        }
        throw new AssertionError("listing does not end");
    }

    @Test
    void listsADirectoryWithCookies() throws Exception {
        try (RawClient c = fx.client(ALICE)) {
            c.walk(0, 1, "");
            c.rpc(new Tlopen(c.tag(), 1, OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY));
            List<DirEntry> big = list(c, 1, 8192);
            c.walk(0, 2, "");
            c.rpc(new Tlopen(c.tag(), 2, OpenFlags.O_RDONLY));
            List<DirEntry> small = list(c, 2, 40); // one entry per round trip
            Set<String> names = new HashSet<>();
            for (DirEntry e : big) assertTrue(names.add(e.name().toString()), "duplicate " + e.name());
            assertEquals(Set.of(".", "..", "a.txt", "sub", "link", "secret", "staff"), names);
            assertEquals(big.stream().map(e -> e.name().toString()).toList(), small.stream().map(e -> e.name().toString()).toList());
            for (DirEntry e : big) {
                if (e.name().toString().equals("sub")) {
                    assertEquals(P9.QTDIR, e.qid().type());
                    assertEquals(FileType.DT_DIR, e.type());
                    assertEquals(fx.ino("sub"), e.qid().path());
                }
                if (e.name().toString().equals("link")) assertEquals(P9.QTSYMLINK, e.qid().type());
            }
            // a count too small for one entry gives an empty answer, not a broken one
            Rreaddir none = (Rreaddir) c.rpc(new Treaddir(c.tag(), 2, 0, 10));
            assertEquals(0, none.data().remaining());
            // readdir needs an open directory fid
            c.walk(0, 3, "sub");
            assertEquals(Errno.EBADF, c.errno(c.rpc(new Treaddir(c.tag(), 3, 0, 100))));
        }
        assertTrue(fx.fs.settles());
    }

    @Test
    void walksOfDotDotStayInTheExport() throws Exception {
        fx.fs.outsideIno = fx.ino("staff"); // the backend's root ".." would lead here: "outside"
        try (RawClient c = fx.client(ALICE)) {
            Rattach root = (Rattach) c.rpc(new Tattach(c.tag(), 9, P9.NOFID, b("alice"), b("/"), ALICE));
            assertEquals(FileSystem.ROOT, root.qid().path());
            Rwalk up = (Rwalk) c.walk(0, 1, "..");
            assertEquals(FileSystem.ROOT, up.qids().get(0).path());
            Rwalk deep = (Rwalk) c.rpc(new Twalk(c.tag(), 0, 2, List.of(Name.DOTDOT, Name.DOTDOT, Name.DOTDOT, Name.of("sub"))));
            assertEquals(4, deep.qids().size());
            assertEquals(fx.ino("sub"), deep.qids().get(3).path());
            Rwalk back = (Rwalk) c.rpc(new Twalk(c.tag(), 2, 3, List.of(Name.DOTDOT, Name.DOTDOT, Name.DOTDOT)));
            for (Qid q : back.qids()) assertEquals(FileSystem.ROOT, q.path());
            // the clamp also holds on the fid itself: getattr of fid 3 is the root
            Rgetattr g = (Rgetattr) c.rpc(new Tgetattr(c.tag(), 3, P9.GETATTR_BASIC));
            assertEquals(FileSystem.ROOT, g.qid().path());
            // an attach whose aname climbs out lands at the root too
            Rattach climbed = (Rattach) c.rpc(new Tattach(c.tag(), 10, P9.NOFID, b("alice"), b("/../../sub"), ALICE));
            assertEquals(fx.ino("sub"), climbed.qid().path());
            // removing or renaming the root is refused
            assertEquals(Errno.EBUSY, c.errno(c.rpc(new Trename(c.tag(), 3, 0, Name.of("x")))));
        }
    }

    @Test
    void partialWalkReturnsThePrefixAndNoFid() throws Exception {
        try (RawClient c = fx.client(ALICE)) {
            Rwalk w = (Rwalk) c.walk(0, 1, "sub/nothere/x");
            assertEquals(1, w.qids().size());
            assertEquals(Errno.EBADF, c.errno(c.rpc(new Tgetattr(c.tag(), 1, P9.GETATTR_BASIC))));
            assertEquals(Errno.ENOENT, c.errno(c.walk(0, 1, "nothere")));
            c.walk(0, 1, "sub");
            assertEquals(Errno.EBADF, c.errno(c.walk(0, 1, "a.txt")), "newfid in use");
            assertEquals(Errno.EBADF, c.errno(c.walk(77, 2, "a.txt")), "unknown fid");
        }
        assertTrue(fx.fs.settles());
    }

    @Test
    void permissionsAreTheAttachedUsers() throws Exception {
        try (RawClient alice = fx.client(ALICE); RawClient root = fx.client(0)) {
            alice.walk(0, 1, "secret");
            assertEquals(Errno.EACCES, alice.errno(alice.rpc(new Tlopen(alice.tag(), 1, OpenFlags.O_RDONLY))));
            root.walk(0, 1, "secret");
            assertEquals(Errno.EACCES, root.errno(root.rpc(new Tlopen(root.tag(), 1, OpenFlags.O_RDONLY))),
                    "root is squashed by default");
            // alice is in staff (50) through /etc/group: she may list staff/, bob may not
            alice.walk(0, 2, "staff");
            assertInstanceOf(Rlopen.class, alice.rpc(new Tlopen(alice.tag(), 2, OpenFlags.O_RDONLY)));
            try (RawClient bob = fx.client(BOB)) {
                bob.walk(0, 2, "staff");
                assertEquals(Errno.EACCES, bob.errno(bob.rpc(new Tlopen(bob.tag(), 2, OpenFlags.O_RDONLY))));
            }
        }
    }

    @Test
    void rootUnsquashedAndAllowList() throws Exception {
        try (Fixture f = new Fixture(o -> o.withSquash(false, 0, 0).withAllowedUids(Set.of(0, ALICE)))) {
            try (RawClient root = f.client(0)) {
                root.walk(0, 1, "secret");
                assertInstanceOf(Rlopen.class, root.rpc(new Tlopen(root.tag(), 1, OpenFlags.O_RDONLY)));
            }
            try (RawClient bob = new RawClient(f.server.address())) {
                bob.rpc(new Tversion(P9.NOTAG, 8192, P9.VERSION));
                assertEquals(Errno.EACCES, bob.errno(bob.rpc(new Tattach(1, 0, P9.NOFID, b("bob"), b(""), BOB))));
                assertEquals(Errno.EBADF, bob.errno(bob.rpc(new Tgetattr(2, 0, P9.GETATTR_BASIC))));
            }
        }
    }

    @Test
    void createWriteRenameRemove() throws Exception {
        try (RawClient c = fx.client(ALICE)) {
            c.walk(0, 1, "");
            Rlcreate cr = (Rlcreate) c.rpc(new Tlcreate(c.tag(), 1, Name.of("new"), OpenFlags.O_RDWR, 0640, 50));
            assertEquals(P9.QTFILE, cr.qid().type());
            assertEquals(4, ((Rwrite) c.rpc(new Twrite(c.tag(), 1, 0, ByteBuffer.wrap(b("data"))))).count());
            assertEquals("data", new String(bytes(((Rread) c.rpc(new Tread(c.tag(), 1, 0, 100))).data())));
            c.rpc(new Tclunk(c.tag(), 1));
            Attr a = fx.mem.getattr(Caller.ROOT, fx.ino("new"), -1).attr();
            assertEquals(ALICE, a.uid());
            assertEquals(50, a.gid(), "alice is in group 50, so the asked gid is used");
            assertEquals(FileType.S_IFREG | 0640, a.mode());
            // a gid alice is not in falls back to her own
            c.walk(0, 1, "");
            c.rpc(new Tlcreate(c.tag(), 1, Name.of("new-b"), OpenFlags.O_WRONLY, 0600, 0));
            c.rpc(new Tclunk(c.tag(), 1));
            assertEquals(1000, fx.mem.getattr(Caller.ROOT, fx.ino("new-b"), -1).attr().gid());
            // rename through the fid, then remove it
            c.walk(0, 2, "new");
            assertInstanceOf(Rrename.class, c.rpc(new Trename(c.tag(), 2, 0, Name.of("renamed"))));
            assertEquals(Errno.ENOENT, c.errno(c.walk(0, 3, "new")));
            assertInstanceOf(Rremove.class, c.rpc(new Tremove(c.tag(), 2)));
            assertEquals(Errno.ENOENT, c.errno(c.walk(0, 3, "renamed")));
            assertEquals(Errno.EBADF, c.errno(c.rpc(new Tclunk(c.tag(), 2))), "remove clunks");
            // directories, symlinks, device nodes, hard links
            Rmkdir md = (Rmkdir) c.rpc(new Tmkdir(c.tag(), 0, Name.of("d"), 0750, 1000));
            assertEquals(P9.QTDIR, md.qid().type());
            Rsymlink sl = (Rsymlink) c.rpc(new Tsymlink(c.tag(), 0, Name.of("sl"), b("../../etc/passwd"), 1000));
            assertEquals(P9.QTSYMLINK, sl.qid().type());
            c.walk(0, 4, "sl");
            assertEquals("../../etc/passwd", new String(((Rreadlink) c.rpc(new Treadlink(c.tag(), 4))).target()));
            c.rpc(new Tmknod(c.tag(), 0, Name.of("fifo"), FileType.S_IFIFO | 0644, 0, 0, 1000));
            assertEquals(FileType.S_IFIFO, fx.mem.getattr(Caller.ROOT, fx.ino("fifo"), -1).attr().type());
            c.walk(0, 5, "new-b");
            assertInstanceOf(Rlink.class, c.rpc(new Tlink(c.tag(), 0, 5, Name.of("hard"))));
            assertEquals(fx.ino("new-b"), fx.ino("hard"));
            c.walk(0, 6, "d");
            assertInstanceOf(Rrenameat.class, c.rpc(new Trenameat(c.tag(), 0, Name.of("hard"), 6, Name.of("h2"))));
            assertEquals(fx.ino("new-b"), fx.ino("d/h2"));
            assertEquals(Errno.ENOTEMPTY, c.errno(c.rpc(new Tunlinkat(c.tag(), 0, Name.of("d"), P9.AT_REMOVEDIR))));
            assertInstanceOf(Runlinkat.class, c.rpc(new Tunlinkat(c.tag(), 6, Name.of("h2"), 0)));
            assertInstanceOf(Runlinkat.class, c.rpc(new Tunlinkat(c.tag(), 0, Name.of("d"), P9.AT_REMOVEDIR)));
            // the fid on the removed directory is still valid (the reference keeps the inode)
            assertEquals(Errno.ENOENT, c.errno(c.rpc(new Tmkdir(c.tag(), 6, Name.of("x"), 0755, 1000))));
            // setattr: chmod, truncate, explicit mtime
            c.walk(0, 7, "new-b");
            c.rpc(new Tsetattr(c.tag(), 7, P9.SETATTR_MODE | P9.SETATTR_SIZE | P9.SETATTR_MTIME | P9.SETATTR_MTIME_SET,
                    0604, 0, 0, 3, 0, 0, 1234567890L, 5));
            Attr after = fx.mem.getattr(Caller.ROOT, fx.ino("new-b"), -1).attr();
            assertEquals(FileType.S_IFREG | 0604, after.mode());
            assertEquals(3, after.size());
            assertEquals(1234567890L * 1_000_000_000L + 5, after.mtimeNs());
            Rgetattr g = (Rgetattr) c.rpc(new Tgetattr(c.tag(), 7, P9.GETATTR_ALL));
            assertEquals(1234567890L, g.attr().mtimeSec());
            assertEquals(5, g.attr().mtimeNsec());
            // chown to another user is root's: alice gets EPERM
            assertEquals(Errno.EPERM, c.errno(c.rpc(new Tsetattr(c.tag(), 7, P9.SETATTR_UID, 0, BOB, -1, 0, 0, 0, 0, 0))));
            Rstatfs st = (Rstatfs) c.rpc(new Tstatfs(c.tag(), 0));
            assertEquals(P9.V9FS_MAGIC, st.fsType());
            assertTrue(st.blocks() > 0 && st.namelen() == 255);
        }
        assertTrue(fx.fs.settles(), "references " + fx.fs.refs + " handles " + fx.fs.handles);
    }

    @Test
    void xattrsThroughFids() throws Exception {
        try (RawClient c = fx.client(ALICE)) {
            c.walk(0, 1, "");
            c.rpc(new Tlcreate(c.tag(), 1, Name.of("x"), OpenFlags.O_RDWR, 0644, 1000));
            c.rpc(new Tclunk(c.tag(), 1));
            c.walk(0, 1, "x");
            assertInstanceOf(Rxattrcreate.class, c.rpc(new Txattrcreate(c.tag(), 1, b("user.color"), 4, 0)));
            c.rpc(new Twrite(c.tag(), 1, 0, ByteBuffer.wrap(b("bl"))));
            c.rpc(new Twrite(c.tag(), 1, 2, ByteBuffer.wrap(b("ue"))));
            assertInstanceOf(Rclunk.class, c.rpc(new Tclunk(c.tag(), 1)));
            assertArrayEquals(b("blue"), fx.mem.getxattr(Caller.ROOT, fx.ino("x"), XattrName.of("user.color")));
            c.walk(0, 2, "x");
            Rxattrwalk v = (Rxattrwalk) c.rpc(new Txattrwalk(c.tag(), 2, 3, b("user.color")));
            assertEquals(4, v.size());
            assertArrayEquals(b("blue"), bytes(((Rread) c.rpc(new Tread(c.tag(), 3, 0, 100))).data()));
            Rxattrwalk names = (Rxattrwalk) c.rpc(new Txattrwalk(c.tag(), 2, 4, b("")));
            assertArrayEquals(b("user.color\0"), bytes(((Rread) c.rpc(new Tread(c.tag(), 4, 0, 100))).data()));
            assertEquals(11, names.size());
            assertEquals(Errno.ENODATA, c.errno(c.rpc(new Txattrwalk(c.tag(), 2, 5, b("user.none")))));
            // an announced size that is never filled fails at clunk; a hostile size is refused up front
            c.walk(0, 6, "x");
            c.rpc(new Txattrcreate(c.tag(), 6, b("user.short"), 10, 0));
            assertEquals(Errno.EINVAL, c.errno(c.rpc(new Tclunk(c.tag(), 6))));
            assertEquals(Errno.EBADF, c.errno(c.rpc(new Tclunk(c.tag(), 6))), "clunked despite the error");
            c.walk(0, 6, "x");
            assertEquals(Errno.E2BIG, c.errno(c.rpc(new Txattrcreate(c.tag(), 6, b("user.big"), 1L << 40, 0))));
            // size 0 removes
            c.walk(0, 7, "x");
            c.rpc(new Txattrcreate(c.tag(), 7, b("user.color"), 0, 0));
            assertInstanceOf(Rclunk.class, c.rpc(new Tclunk(c.tag(), 7)));
            assertThrows(FsException.class, () -> fx.mem.getxattr(Caller.ROOT, fx.ino("x"), XattrName.of("user.color")));
        }
        assertTrue(fx.fs.settles());
    }

    @Test
    void everythingIsReleasedOnDisconnect() throws Exception {
        RawClient c = fx.client(ALICE);
        for (int i = 1; i <= 20; i++) c.walk(0, i, i % 2 == 0 ? "sub/s" : "a.txt");
        c.rpc(new Tlopen(c.tag(), 1, OpenFlags.O_RDONLY));
        c.walk(0, 30, "");
        c.rpc(new Tlopen(c.tag(), 30, OpenFlags.O_RDONLY));
        c.walk(0, 31, "");
        c.rpc(new Tlcreate(c.tag(), 31, Name.of("open-at-disconnect"), OpenFlags.O_RDWR, 0644, 1000));
        assertTrue(fx.fs.refs.get() >= 22);
        assertEquals(3, fx.fs.handles.get());
        c.close();
        assertTrue(fx.fs.settles(), "references " + fx.fs.refs + " handles " + fx.fs.handles);
        for (int i = 0; i < 100 && fx.server.connectionCount() > 0; i++) Thread.sleep(10);
        assertEquals(0, fx.server.connectionCount());
    }

    @Test
    void versionNegotiation() throws Exception {
        try (RawClient c = new RawClient(fx.server.address())) {
            assertEquals(Errno.EPROTO, c.errno(c.rpc(new Tattach(1, 0, P9.NOFID, b("a"), b(""), ALICE))), "attach before version");
            Rversion big = (Rversion) c.rpc(new Tversion(P9.NOTAG, 64 << 20, P9.VERSION));
            assertEquals(NinepServerOptions.MAX_MSIZE, big.msize());
            Rversion odd = (Rversion) c.rpc(new Tversion(P9.NOTAG, 8192, "9P2000.u"));
            assertEquals(P9.UNKNOWN_VERSION, odd.version());
            Rversion g = (Rversion) c.rpc(new Tversion(P9.NOTAG, 8192, "9P2000.L.Google.7"));
            assertEquals("9P2000.L.Google.2", g.version());
            assertEquals(8192, g.msize());
            Rversion g0 = (Rversion) c.rpc(new Tversion(P9.NOTAG, 8192, "9P2000.L.Google.0"));
            assertEquals(P9.VERSION, g0.version());
            // a read is clamped to the negotiated msize
            c.rpc(new Tattach(2, 0, P9.NOFID, b("a"), b(""), ALICE));
            c.rpc(new Tauth(3, 1, b("a"), b(""), ALICE)); // answered (Rlerror), not fatal
            fx.file(Caller.ROOT, FileSystem.ROOT, "big", 0644, new byte[100_000]);
            c.walk(0, 1, "big");
            c.rpc(new Tlopen(4, 1, OpenFlags.O_RDONLY));
            Rread r = (Rread) c.rpc(new Tread(5, 1, 0, 1 << 20));
            assertEquals(8192 - 11, r.data().remaining());
            // Tversion again drops every fid
            c.rpc(new Tversion(P9.NOTAG, 8192, P9.VERSION));
            assertEquals(Errno.EBADF, c.errno(c.rpc(new Tgetattr(6, 0, P9.GETATTR_BASIC))));
        }
        assertTrue(fx.fs.settles());
    }

    @Test
    void walkgetattrFusesWalkAndAttributes() throws Exception {
        try (RawClient c = new RawClient(fx.server.address())) {
            c.rpc(new Tversion(P9.NOTAG, 65536, "9P2000.L.Google.2"));
            c.rpc(new Tattach(1, 0, P9.NOFID, b("a"), b(""), ALICE));
            Rwalkgetattr r = (Rwalkgetattr) c.rpc(new Twalkgetattr(2, 0, 1, RawClient.path("sub/s")));
            assertEquals(2, r.qids().size());
            assertEquals(2, r.attr().size());
            assertEquals(FileType.S_IFREG | 0644, r.attr().mode());
            assertEquals(fx.ino("sub/s"), r.qids().get(1).path());
            assertEquals(Errno.ENOENT, c.errno(c.rpc(new Twalkgetattr(3, 0, 2, RawClient.path("sub/none")))));
            assertEquals(Errno.EBADF, c.errno(c.rpc(new Tgetattr(4, 2, P9.GETATTR_BASIC))), "no fid after a failed walk");
            Rwalkgetattr self = (Rwalkgetattr) c.rpc(new Twalkgetattr(5, 1, 3, List.of()));
            assertEquals(0, self.qids().size());
            assertEquals(2, self.attr().size());
        }
        assertTrue(fx.fs.settles());
    }

    @Test
    void locksConflictAcrossConnectionsAndDieWithThem() throws Exception {
        try (RawClient b = fx.client(BOB)) {
            RawClient a = fx.client(ALICE);
            a.walk(0, 1, "a.txt");
            a.rpc(new Tlopen(a.tag(), 1, OpenFlags.O_RDONLY));
            b.walk(0, 1, "a.txt");
            b.rpc(new Tlopen(b.tag(), 1, OpenFlags.O_RDONLY));
            Rlock got = (Rlock) a.rpc(new Tlock(a.tag(), 1, P9.LOCK_TYPE_WRLCK, 0, 0, 0, 11, b("hostA")));
            assertEquals(P9.LOCK_SUCCESS, got.status());
            Rlock blocked = (Rlock) b.rpc(new Tlock(b.tag(), 1, P9.LOCK_TYPE_RDLCK, 0, 10, 5, 22, b("hostB")));
            assertEquals(P9.LOCK_BLOCKED, blocked.status());
            Rgetlock who = (Rgetlock) b.rpc(new Tgetlock(b.tag(), 1, P9.LOCK_TYPE_RDLCK, 0, 0, 22, b("hostB")));
            assertEquals(P9.LOCK_TYPE_WRLCK, who.lockType());
            assertEquals(11, who.procId());
            a.close();
            for (int i = 0; i < 200 && fx.server.connectionCount() > 1; i++) Thread.sleep(10);
            assertEquals(P9.LOCK_SUCCESS, ((Rlock) b.rpc(new Tlock(b.tag(), 1, P9.LOCK_TYPE_RDLCK, 0, 10, 5, 22, b("hostB")))).status());
            Rgetlock free = (Rgetlock) b.rpc(new Tgetlock(b.tag(), 1, P9.LOCK_TYPE_WRLCK, 0, 0, 22, b("hostB")));
            assertEquals(P9.LOCK_TYPE_UNLCK, free.lockType());
        }
    }

    @Test
    void requestsAreAnsweredOutOfOrderAndFlushWaitsForItsTarget() throws Exception {
        try (RawClient c = fx.client(ALICE)) {
            c.walk(0, 1, "a.txt");
            c.rpc(new Tlopen(c.tag(), 1, OpenFlags.O_RDONLY));
            fx.fs.gate = new CountDownLatch(1);
            fx.fs.gatedIno = fx.ino("a.txt");
            c.send(new Tread(100, 1, 0, 100));
            assertTrue(fx.fs.gatedReadStarted.await(10, java.util.concurrent.TimeUnit.SECONDS));
            c.send(new Tgetattr(101, 0, P9.GETATTR_BASIC));
            assertEquals(101, c.receive().tag(), "the later request is answered first");
            c.send(new Tflush(102, 100));
            c.send(new Tgetattr(103, 0, P9.GETATTR_BASIC));
            assertEquals(103, c.receive().tag(), "the flush waits; others go on");
            fx.fs.gate.countDown();
            Message first = c.receive(), second = c.receive();
            assertEquals(100, first.tag());
            assertInstanceOf(Rread.class, first);
            assertInstanceOf(Rflush.class, second);
            assertEquals(102, second.tag());
            assertInstanceOf(Rflush.class, c.rpc(new Tflush(104, 999)), "flush of an unknown tag answers at once");
        }
    }

    @Test
    void aTagIsFreeAsSoonAsItsReplyArrives() throws Exception {
        try (RawClient c = fx.client(ALICE)) {
            for (int i = 0; i < 300; i++) assertInstanceOf(Rgetattr.class, c.rpc(new Tgetattr(0, 0, P9.GETATTR_BASIC)));
        }
    }
}
