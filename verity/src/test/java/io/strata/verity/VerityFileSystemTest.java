package io.strata.verity;

import static io.strata.core.FileType.S_IFDIR;
import static io.strata.core.FileType.S_IFREG;
import static org.junit.jupiter.api.Assertions.*;

import io.strata.core.Attr;
import io.strata.core.Caller;
import io.strata.core.Created;
import io.strata.core.Entry;
import io.strata.core.Errno;
import io.strata.core.Feature;
import io.strata.core.FileSystem;
import io.strata.core.ForwardingFileSystem;
import io.strata.core.FsException;
import io.strata.core.Ioctl;
import io.strata.core.Name;
import io.strata.core.OpenFlags;
import io.strata.core.Opened;
import io.strata.core.SetAttr;
import io.strata.core.XattrName;
import io.strata.memory.MemoryFileSystem;
import io.strata.memory.MemoryOptions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The verity stacker at SPI level over the memory backend. */
class VerityFileSystemTest {
    static final Caller ROOT = Caller.ROOT, ALICE = Caller.of(1000, 1000);
    static final long R = FileSystem.ROOT;
    static final int BS = 4096;

    MemoryFileSystem mem;
    VerityFileSystem fs;
    byte[] data;

    @BeforeEach
    void setUp() throws FsException {
        mem = new MemoryFileSystem(MemoryOptions.defaults(0, 0).withSizeLimit(64L << 20));
        mem.setattr(ROOT, R, SetAttr.mode(S_IFDIR | 0777));
        fs = new VerityFileSystem(mem);
        data = new byte[10 * BS + 123];
        new Random(5).nextBytes(data);
    }

    // ---- helpers ----

    long file(FileSystem on, String name, byte[] bytes) throws FsException {
        Created c = on.create(ROOT, R, Name.of(name), S_IFREG | 0644, OpenFlags.O_RDWR | OpenFlags.O_EXCL, 0);
        ByteBuffer src = ByteBuffer.wrap(bytes);
        while (src.hasRemaining()) on.write(ROOT, c.entry().ino(), c.opened().fh(), src.position(), src, 0);
        on.release(c.entry().ino(), c.opened().fh(), OpenFlags.O_RDWR);
        return c.entry().ino();
    }

    Ioctl.Reply enable(FileSystem on, long ino, VerityParams p) throws FsException {
        Opened o = on.open(ROOT, ino, OpenFlags.O_RDONLY);
        try {
            return on.ioctl(ROOT, ino, o.fh(), Ioctl.FS_IOC_ENABLE_VERITY, EnableArgument.encode(p, new byte[0]), 0);
        } finally {
            on.release(ino, o.fh(), OpenFlags.O_RDONLY);
        }
    }

    byte[] measure(FileSystem on, long ino) throws FsException {
        Opened o = on.open(ROOT, ino, OpenFlags.O_RDONLY);
        try {
            byte[] in = new byte[4];
            in[2] = 64; // digest_size: room for SHA-512
            Ioctl.Reply r = on.ioctl(ROOT, ino, o.fh(), Ioctl.FS_IOC_MEASURE_VERITY, in, 4 + 64);
            ByteBuffer b = ByteBuffer.wrap(r.out()).order(ByteOrder.LITTLE_ENDIAN);
            int alg = b.getShort(), size = b.getShort();
            assertEquals(r.out().length, 4 + size);
            assertNotNull(HashAlgorithm.byId(alg));
            return Arrays.copyOfRange(r.out(), 4, 4 + size);
        } finally {
            on.release(ino, o.fh(), OpenFlags.O_RDONLY);
        }
    }

    static byte[] read(FileSystem on, long ino, long offset, int len) throws FsException {
        Opened o = on.open(ROOT, ino, OpenFlags.O_RDONLY);
        try {
            ByteBuffer b = ByteBuffer.allocate(len);
            while (b.hasRemaining()) {
                int n = on.read(ROOT, ino, o.fh(), offset + b.position(), b);
                if (n == 0) break;
            }
            return Arrays.copyOf(b.array(), b.position());
        } finally {
            on.release(ino, o.fh(), OpenFlags.O_RDONLY);
        }
    }

    static int errno(OpenFilesTest.Executable e) {
        try {
            e.run();
        } catch (FsException x) {
            return x.errno();
        }
        return 0;
    }

    void tamper(long ino, long offset) throws FsException {
        Opened o = mem.open(ROOT, ino, OpenFlags.O_RDWR);
        ByteBuffer one = ByteBuffer.allocate(1);
        mem.read(ROOT, ino, o.fh(), offset, one);
        one.put(0, (byte) (one.get(0) ^ 0x40));
        mem.write(ROOT, ino, o.fh(), offset, one.rewind(), 0);
        mem.release(ino, o.fh(), OpenFlags.O_RDWR);
    }

    // ---- enable and measure ----

    @Test
    void measureEqualsOfflineDigest() throws Exception {
        VerityParams[] all = {VerityParams.defaults(), new VerityParams(HashAlgorithm.SHA512, 1024, new byte[] {1, 2, 3}),
                new VerityParams(HashAlgorithm.SHA256, 65536, new byte[32])};
        int i = 0;
        for (VerityParams p : all) {
            long ino = file(fs, "f" + i++, data);
            assertEquals(0, enable(fs, ino, p).result());
            assertArrayEquals(Digests.tree(p, data).descriptor().digest(), measure(fs, ino), p.toString());
            assertArrayEquals(data, read(fs, ino, 0, data.length + 10), p.toString());
        }
    }

    @Test
    void emptyAndOneBlockFiles() throws Exception {
        long empty = file(fs, "empty", new byte[0]);
        long small = file(fs, "small", "hello\n".getBytes());
        enable(fs, empty, VerityParams.defaults());
        enable(fs, small, VerityParams.defaults());
        assertArrayEquals(Digests.tree(VerityParams.defaults(), new byte[0]).descriptor().digest(), measure(fs, empty));
        assertArrayEquals(Digests.tree(VerityParams.defaults(), "hello\n".getBytes()).descriptor().digest(), measure(fs, small));
        assertArrayEquals(new byte[0], read(fs, empty, 0, 10));
        assertArrayEquals("hello\n".getBytes(), read(fs, small, 0, 100));
        tamper(small, 2);
        FileSystem again = new VerityFileSystem(mem);
        assertEquals(Errno.EIO, errno(() -> read(again, small, 0, 100)), "a one-block file is checked against the root hash");
    }

    @Test
    void verityIsReportedAndAdvertised() throws Exception {
        long ino = file(fs, "f", data);
        long plain = file(fs, "plain", data);
        enable(fs, ino, VerityParams.defaults());
        assertNotEquals(0, fs.getattr(ROOT, ino, -1).attr().attributes() & Attr.ATTR_VERITY);
        assertNotEquals(0, fs.lookup(ROOT, R, Name.of("f")).attr().attributes() & Attr.ATTR_VERITY);
        assertEquals(0, fs.getattr(ROOT, plain, -1).attr().attributes() & Attr.ATTR_VERITY);
        assertTrue(fs.features().contains(Feature.VERITY));
        assertFalse(fs.features().contains(Feature.BACKING_FDS));
    }

    @Test
    void enableErrors() throws Exception {
        long ino = file(fs, "f", data);
        byte[] good = EnableArgument.encode(VerityParams.defaults(), new byte[0]);
        Opened rw = fs.open(ROOT, ino, OpenFlags.O_RDWR);
        assertEquals(Errno.ETXTBSY, errno(() -> fs.ioctl(ROOT, ino, rw.fh(), Ioctl.FS_IOC_ENABLE_VERITY, good, 0)));
        Opened ro = fs.open(ROOT, ino, OpenFlags.O_RDONLY);
        assertEquals(Errno.ETXTBSY, errno(() -> fs.ioctl(ROOT, ino, ro.fh(), Ioctl.FS_IOC_ENABLE_VERITY, good, 0)),
                "another handle may write");
        fs.release(ino, rw.fh(), OpenFlags.O_RDWR);

        byte[] badVersion = good.clone();
        badVersion[0] = 2;
        assertEquals(Errno.EINVAL, errno(() -> fs.ioctl(ROOT, ino, ro.fh(), Ioctl.FS_IOC_ENABLE_VERITY, badVersion, 0)));
        byte[] badAlg = good.clone();
        badAlg[4] = 9;
        assertEquals(Errno.EINVAL, errno(() -> fs.ioctl(ROOT, ino, ro.fh(), Ioctl.FS_IOC_ENABLE_VERITY, badAlg, 0)));
        byte[] badBlock = good.clone();
        badBlock[9] = 2; // 512
        badBlock[8] = 0;
        assertEquals(Errno.EINVAL, errno(() -> fs.ioctl(ROOT, ino, ro.fh(), Ioctl.FS_IOC_ENABLE_VERITY, badBlock, 0)));
        byte[] bigSalt = Arrays.copyOf(good, 128 + 33);
        bigSalt[12] = 33;
        assertEquals(EnableArgument.EMSGSIZE, errno(() -> fs.ioctl(ROOT, ino, ro.fh(), Ioctl.FS_IOC_ENABLE_VERITY, bigSalt, 0)));
        byte[] missingSalt = good.clone();
        missingSalt[12] = 4;
        assertEquals(Errno.EINVAL, errno(() -> fs.ioctl(ROOT, ino, ro.fh(), Ioctl.FS_IOC_ENABLE_VERITY, missingSalt, 0)));
        assertEquals(Errno.EINVAL, errno(() -> fs.ioctl(ROOT, ino, ro.fh(), Ioctl.FS_IOC_ENABLE_VERITY, new byte[64], 0)));
        assertEquals(Errno.EACCES, errno(() -> fs.ioctl(ALICE, ino, ro.fh(), Ioctl.FS_IOC_ENABLE_VERITY, good, 0)),
                "enabling needs write permission");
        assertEquals(Errno.ENODATA, errno(() -> fs.ioctl(ROOT, ino, ro.fh(), Ioctl.FS_IOC_MEASURE_VERITY, new byte[] {0, 0, 64, 0}, 68)));

        assertEquals(0, fs.ioctl(ROOT, ino, ro.fh(), Ioctl.FS_IOC_ENABLE_VERITY, good, 0).result());
        assertEquals(Errno.EEXIST, errno(() -> fs.ioctl(ROOT, ino, ro.fh(), Ioctl.FS_IOC_ENABLE_VERITY, good, 0)));
        assertEquals(Errno.EOVERFLOW, errno(() -> fs.ioctl(ROOT, ino, ro.fh(), Ioctl.FS_IOC_MEASURE_VERITY, new byte[] {0, 0, 31, 0}, 4 + 31)));
        assertEquals(Errno.EOVERFLOW, errno(() -> fs.ioctl(ROOT, ino, ro.fh(), Ioctl.FS_IOC_MEASURE_VERITY, new byte[] {0, 0, 32, 0}, 4 + 16)));
        assertEquals(36, fs.ioctl(ROOT, ino, ro.fh(), Ioctl.FS_IOC_MEASURE_VERITY, new byte[] {0, 0, 32, 0}, 36).out().length);
        fs.release(ino, ro.fh(), OpenFlags.O_RDONLY);

        Entry d = fs.mkdir(ROOT, R, Name.of("d"), S_IFDIR | 0755, 0);
        Opened dh = fs.opendir(ROOT, d.ino(), OpenFlags.O_RDONLY);
        assertEquals(Errno.EISDIR, errno(() -> fs.ioctl(ROOT, d.ino(), dh.fh(), Ioctl.FS_IOC_ENABLE_VERITY, good, 0)));
    }

    @Test
    void handleOpenBeforeEnableReadsVerified() throws Exception {
        long ino = file(fs, "f", data);
        Opened early = fs.open(ROOT, ino, OpenFlags.O_RDONLY);
        enable(fs, ino, VerityParams.defaults());
        tamper(ino, 3 * BS + 1);
        ByteBuffer b = ByteBuffer.allocate(BS);
        assertEquals(Errno.EIO, errno(() -> fs.read(ROOT, ino, early.fh(), 3 * BS, b)));
        fs.release(ino, early.fh(), OpenFlags.O_RDONLY);
    }

    // ---- read-only forever ----

    @Test
    void writesAreRefused() throws Exception {
        long ino = file(fs, "f", data);
        enable(fs, ino, VerityParams.defaults());
        for (int flags : new int[] {OpenFlags.O_WRONLY, OpenFlags.O_RDWR, OpenFlags.O_RDONLY | OpenFlags.O_TRUNC})
            assertEquals(Errno.EPERM, errno(() -> fs.open(ROOT, ino, flags)), "open flags " + flags);
        assertEquals(Errno.EPERM, errno(() -> fs.setattr(ROOT, ino, SetAttr.size(0))));
        assertEquals(Errno.EPERM, errno(() -> fs.create(ROOT, R, Name.of("f"), S_IFREG | 0644, OpenFlags.O_WRONLY | OpenFlags.O_TRUNC, 0)));
        fs.setattr(ROOT, ino, SetAttr.mode(S_IFREG | 0600)); // metadata may still change
        Entry link = fs.link(ROOT, ino, R, Name.of("hardlink"));
        assertNotEquals(0, link.attr().attributes() & Attr.ATTR_VERITY, "verity follows the inode");
        fs.rename(ROOT, R, Name.of("hardlink"), R, Name.of("moved"), 0);
        assertEquals(Errno.EPERM, errno(() -> fs.open(ROOT, fs.lookup(ROOT, R, Name.of("moved")).ino(), OpenFlags.O_WRONLY)));
        assertArrayEquals(data, read(fs, ino, 0, data.length));
    }

    @Test
    void remountKeepsVerity() throws Exception {
        long ino = file(fs, "f", data);
        enable(fs, ino, new VerityParams(HashAlgorithm.SHA512, 1024, new byte[] {9}));
        byte[] digest = measure(fs, ino);
        fs.close();
        VerityFileSystem again = new VerityFileSystem(mem);
        assertArrayEquals(digest, measure(again, ino));
        assertArrayEquals(data, read(again, ino, 0, data.length));
        assertEquals(Errno.EPERM, errno(() -> again.open(ROOT, ino, OpenFlags.O_WRONLY)));
        assertNotEquals(0, again.getattr(ROOT, ino, -1).attr().attributes() & Attr.ATTR_VERITY);
    }

    // ---- verification ----

    @Test
    void tamperedByteFailsExactlyItsBlock() throws Exception {
        long ino = file(fs, "f", data);
        enable(fs, ino, VerityParams.defaults());
        tamper(ino, 5L * BS + 17);
        List<String> logged = new ArrayList<>();
        Handler h = new Handler() {
            @Override public void publish(LogRecord r) {
                logged.add(java.text.MessageFormat.format(r.getMessage(), r.getParameters()));
            }
            @Override public void flush() {}
            @Override public void close() {}
        };
        Logger log = Logger.getLogger("io.strata.verity");
        log.addHandler(h);
        try {
            for (int b = 0; b <= 10; b++) {
                int block = b;
                int len = b == 10 ? 123 : BS;
                if (b == 5) {
                    assertEquals(Errno.EIO, errno(() -> read(fs, ino, 5L * BS, BS)));
                    assertEquals(Errno.EIO, errno(() -> read(fs, ino, 5L * BS + 17, 1)), "again: a bad block is never remembered");
                } else {
                    assertArrayEquals(Arrays.copyOfRange(data, block * BS, block * BS + len), read(fs, ino, (long) block * BS, BS), "block " + b);
                }
            }
            // A read spanning good blocks and the bad one stops short before it.
            Opened o = fs.open(ROOT, ino, OpenFlags.O_RDONLY);
            ByteBuffer buf = ByteBuffer.allocate(3 * BS);
            assertEquals(BS + 100, fs.read(ROOT, ino, o.fh(), 4L * BS - 100, buf));
            assertEquals(Errno.EIO, errno(() -> fs.read(ROOT, ino, o.fh(), 5L * BS, ByteBuffer.allocate(10))));
            fs.release(ino, o.fh(), OpenFlags.O_RDONLY);
        } finally {
            log.removeHandler(h);
        }
        assertTrue(logged.stream().anyMatch(m -> m.contains("inode " + ino) && m.contains("data block 5 ")), logged.toString());
    }

    @Test
    void tamperedStoredTreeOrDescriptorIsEio() throws Exception {
        long a = file(fs, "a", data), b = file(fs, "b", Arrays.copyOf(data, 50_000)), c = file(fs, "c", data);
        for (long ino : new long[] {a, b, c}) enable(fs, ino, VerityParams.defaults());
        // Tree of a: flip a byte in its stored tree file.
        long dir = mem.lookup(ROOT, R, VerityStore.DIR_NAME).ino();
        VerityDescriptor da = VerityDescriptor.decode(mem.getxattr(ROOT, a, VerityStore.XATTR_NAME));
        long tree = mem.lookup(ROOT, dir, VerityStore.treeName(da)).ino();
        tamper(tree, 10);
        // Descriptor of b: garbage. File c: grew behind our back.
        mem.setxattr(ROOT, b, VerityStore.XATTR_NAME, new byte[256], 0);
        Opened o = mem.open(ROOT, c, OpenFlags.O_WRONLY | OpenFlags.O_APPEND);
        mem.write(ROOT, c, o.fh(), data.length, ByteBuffer.wrap(new byte[] {1}), 0);
        mem.release(c, o.fh(), OpenFlags.O_WRONLY);

        VerityFileSystem again = new VerityFileSystem(mem);
        for (long ino : new long[] {a, b, c})
            assertEquals(Errno.EIO, errno(() -> again.open(ROOT, ino, OpenFlags.O_RDONLY)), "inode " + ino);
        mem.unlink(ROOT, dir, VerityStore.treeName(da));
        assertEquals(Errno.EIO, errno(() -> new VerityFileSystem(mem).open(ROOT, a, OpenFlags.O_RDONLY)), "tree missing");
    }

    @Test
    void warmReadsDoNotRereadWholeBlocks() throws Exception {
        AtomicLong requested = new AtomicLong();
        FileSystem counting = new ForwardingFileSystem(mem) {
            @Override
            public int read(Caller c, long ino, long fh, long offset, ByteBuffer dst) throws FsException {
                requested.addAndGet(dst.remaining());
                return super.read(c, ino, fh, offset, dst);
            }
        };
        VerityFileSystem v = new VerityFileSystem(counting);
        long ino = file(v, "f", data);
        enable(v, ino, VerityParams.defaults());
        Opened o = v.open(ROOT, ino, OpenFlags.O_RDONLY);
        requested.set(0);
        v.read(ROOT, ino, o.fh(), 2L * BS + 7, ByteBuffer.allocate(1));
        assertEquals(BS, requested.get(), "cold: the whole block is read and hashed");
        requested.set(0);
        ByteBuffer one = ByteBuffer.allocate(1);
        v.read(ROOT, ino, o.fh(), 2L * BS + 7, one);
        assertEquals(1, requested.get(), "warm: only the bytes asked for");
        assertEquals(data[2 * BS + 7], one.get(0));
        v.release(ino, o.fh(), OpenFlags.O_RDONLY);
        // Reopening keeps what was verified (the cache holds the tree and the bitmap).
        Opened again = v.open(ROOT, ino, OpenFlags.O_RDONLY);
        requested.set(0);
        v.read(ROOT, ino, again.fh(), 2L * BS, ByteBuffer.allocate(10));
        assertEquals(10, requested.get());
        v.release(ino, again.fh(), OpenFlags.O_RDONLY);
    }

    // ---- the metadata is invisible ----

    @Test
    void storageIsHidden() throws Exception {
        Entry sub = fs.mkdir(ROOT, R, Name.of("sub"), S_IFDIR | 0755, 0);
        int nlinkBefore = fs.getattr(ROOT, R, -1).attr().nlink();
        long ino = file(fs, "f", data);
        enable(fs, ino, VerityParams.defaults());
        mem.lookup(ROOT, R, VerityStore.DIR_NAME); // it exists below
        Name hidden = VerityStore.DIR_NAME;

        List<Name> names = new ArrayList<>();
        Opened d = fs.opendir(ROOT, R, 0);
        fs.readdir(ROOT, R, d.fh(), 0, (n, i, t, next) -> names.add(n));
        List<Name> plus = new ArrayList<>();
        fs.readdirplus(ROOT, R, d.fh(), 0, (n, i, t, next, e) -> plus.add(n));
        fs.releasedir(R, d.fh());
        assertTrue(names.contains(Name.of("f")) && !names.contains(hidden), names.toString());
        assertTrue(plus.contains(Name.of("f")) && !plus.contains(hidden), plus.toString());

        assertEquals(Errno.ENOENT, errno(() -> fs.lookup(ROOT, R, hidden)));
        assertEquals(1, fs.walk(ROOT, sub.ino(), List.of(Name.DOTDOT, hidden)).size(), "walk stops before the hidden name");
        assertEquals(Errno.EPERM, errno(() -> fs.mkdir(ROOT, R, hidden, S_IFDIR | 0755, 0)));
        assertEquals(Errno.EPERM, errno(() -> fs.create(ROOT, R, hidden, S_IFREG | 0644, OpenFlags.O_RDWR, 0)));
        assertEquals(Errno.EPERM, errno(() -> fs.rename(ROOT, R, Name.of("f"), R, hidden, 0)));
        assertEquals(Errno.ENOENT, errno(() -> fs.rename(ROOT, R, hidden, R, Name.of("x"), 0)));
        assertEquals(Errno.ENOENT, errno(() -> fs.rmdir(ROOT, R, hidden)));
        assertEquals(Errno.ENOENT, errno(() -> fs.unlink(ROOT, R, hidden)));
        assertEquals(nlinkBefore, fs.getattr(ROOT, R, -1).attr().nlink(), "the root's link count hides it");
        // A name of the same spelling elsewhere is ordinary.
        fs.mkdir(ROOT, sub.ino(), hidden, S_IFDIR | 0755, 0);

        XattrName x = VerityStore.XATTR_NAME;
        assertFalse(fs.listxattr(ROOT, ino).contains(x));
        assertEquals(Errno.ENODATA, errno(() -> fs.getxattr(ROOT, ino, x)));
        assertEquals(Errno.EPERM, errno(() -> fs.setxattr(ROOT, ino, x, new byte[256], 0)));
        assertEquals(Errno.EPERM, errno(() -> fs.removexattr(ROOT, ino, x)));
        fs.setxattr(ROOT, ino, XattrName.of("user.other"), new byte[] {1}, 0);
        assertEquals(List.of(XattrName.of("user.other")), fs.listxattr(ROOT, ino));
    }

    @Test
    void readdirplusReportsVerity() throws Exception {
        long ino = file(fs, "f", data);
        file(fs, "g", data);
        enable(fs, ino, VerityParams.defaults());
        java.util.Map<String, Long> attrs = new java.util.HashMap<>();
        Opened d = fs.opendir(ROOT, R, 0);
        fs.readdirplus(ROOT, R, d.fh(), 0, (n, i, t, next, e) -> {
            if (e != null) attrs.put(n.toString(), e.attr().attributes() & Attr.ATTR_VERITY);
            return true;
        });
        fs.releasedir(R, d.fh());
        assertEquals(Attr.ATTR_VERITY, attrs.get("f"));
        assertEquals(0L, attrs.get("g"));
    }

    @Test
    void treesBeyondTheLimitAreRefused() throws Exception {
        VerityFileSystem small = new VerityFileSystem(mem, 4096, 1 << 20);
        long ino = file(small, "big", new byte[200 * BS]); // 200 blocks: a two-block tree
        assertEquals(Errno.EFBIG, errno(() -> enable(small, ino, VerityParams.defaults())));
        assertEquals(0, small.getattr(ROOT, ino, -1).attr().attributes() & Attr.ATTR_VERITY);
        Opened w = small.open(ROOT, ino, OpenFlags.O_WRONLY); // still an ordinary file
        small.release(ino, w.fh(), OpenFlags.O_WRONLY);
    }

    @Test
    void concurrentColdReadsAgree() throws Exception {
        byte[] big = new byte[64 * BS];
        new Random(9).nextBytes(big);
        long ino = file(fs, "big", big);
        enable(fs, ino, VerityParams.defaults());
        tamper(ino, 40L * BS);
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        Thread[] threads = new Thread[4];
        for (int t = 0; t < threads.length; t++) {
            int seed = t;
            threads[t] = new Thread(() -> {
                try {
                    Random r = new Random(seed);
                    for (int k = 0; k < 200; k++) {
                        int b = r.nextInt(64);
                        if (b == 40) {
                            assertEquals(Errno.EIO, errno(() -> read(fs, ino, 40L * BS, 10)));
                        } else {
                            assertArrayEquals(Arrays.copyOfRange(big, b * BS, b * BS + 100), read(fs, ino, (long) b * BS, 100));
                        }
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            });
            threads[t].start();
        }
        for (Thread t : threads) t.join();
        assertEquals(List.of(), failures);
    }

    @Test
    void changeNoticesFromBelowForgetVerifiedBlocks() throws Exception {
        io.strata.core.InvalidationHub hub = new io.strata.core.InvalidationHub();
        FileSystem noisy = new ForwardingFileSystem(mem) {
            @Override
            public io.strata.core.Invalidations.Subscription subscribe(io.strata.core.Invalidations sink) {
                return hub.subscribe(sink);
            }
        };
        VerityFileSystem v = new VerityFileSystem(noisy);
        long ino = file(v, "f", data);
        enable(v, ino, VerityParams.defaults());
        Opened o = v.open(ROOT, ino, OpenFlags.O_RDONLY);
        assertEquals(2 * BS, v.read(ROOT, ino, o.fh(), 6L * BS, ByteBuffer.allocate(2 * BS))); // blocks 6, 7 verified
        tamper(ino, 6L * BS + 1);
        hub.inode(ino, 6L * BS, 1); // the layer reports the change
        assertEquals(Errno.EIO, errno(() -> v.read(ROOT, ino, o.fh(), 6L * BS, ByteBuffer.allocate(BS))));
        v.release(ino, o.fh(), OpenFlags.O_RDONLY);
        // Not open any more: the cached tree must forget too.
        tamper(ino, 7L * BS + 1);
        hub.inode(ino, 7L * BS, 1);
        assertEquals(Errno.EIO, errno(() -> read(v, ino, 7L * BS, 10)), "the cached tree forgot it too");
        v.close();
    }

    @Test
    void getflagsShowsVerity() throws Exception {
        long ino = file(fs, "f", data);
        long plain = file(fs, "p", data);
        enable(fs, ino, VerityParams.defaults());
        Opened o = fs.open(ROOT, ino, OpenFlags.O_RDONLY);
        Ioctl.Reply r = fs.ioctl(ROOT, ino, o.fh(), Ioctl.FS_IOC_GETFLAGS, new byte[0], 4);
        assertEquals(VerityFileSystem.FS_VERITY_FL, ByteBuffer.wrap(r.out()).order(ByteOrder.LITTLE_ENDIAN).getInt(0) & VerityFileSystem.FS_VERITY_FL);
        fs.release(ino, o.fh(), OpenFlags.O_RDONLY);
        Opened p = fs.open(ROOT, plain, OpenFlags.O_RDONLY);
        int e = errno(() -> {
            Ioctl.Reply pr = fs.ioctl(ROOT, plain, p.fh(), Ioctl.FS_IOC_GETFLAGS, new byte[0], 4);
            assertEquals(0, ByteBuffer.wrap(pr.out()).order(ByteOrder.LITTLE_ENDIAN).getInt(0) & VerityFileSystem.FS_VERITY_FL);
        });
        assertTrue(e == 0 || e == Errno.ENOTTY, "a plain file answers as the layer does: " + e);
        fs.release(plain, p.fh(), OpenFlags.O_RDONLY);
    }

    @Test
    void layerWithoutUserXattrsCannotHoldVerity() throws Exception {
        FileSystem noXattrs = new ForwardingFileSystem(mem) {
            @Override
            public java.util.Set<Feature> features() {
                java.util.Set<Feature> f = super.features();
                f.remove(Feature.USER_XATTRS);
                return f;
            }
        };
        VerityFileSystem v = new VerityFileSystem(noXattrs);
        long ino = file(v, "f", data);
        assertEquals(Errno.EOPNOTSUPP, errno(() -> enable(v, ino, VerityParams.defaults())));
        assertEquals(Errno.ENOENT, errno(() -> mem.lookup(ROOT, R, VerityStore.DIR_NAME)), "nothing was stored");
    }
}
