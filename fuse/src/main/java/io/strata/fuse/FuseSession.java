package io.strata.fuse;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import io.strata.core.FileSystem;
import io.strata.core.FsContext;
import io.strata.core.FsException;
import io.strata.core.Errno;
import io.strata.sys.Libc;
import io.strata.sys.SysException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A mounted FUSE connection serving one {@link FileSystem}: mounts, answers INIT, runs worker
 * threads (each reading its own cloned channel) and unmounts.
 *
 * <p>Life cycle: {@link #mount} returns once the kernel's INIT was answered, so the mount serves
 * requests. It ends when the file system is unmounted (by {@link #close}, umount(8) or
 * {@code strata umount}): every channel then reads ENODEV and the workers stop.
 */
public final class FuseSession implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("strata.fuse");
    static final long DEV_IOC_CLONE = Libc.ioc(Libc.IOC_READ, 229, 0, 4);

    private final FileSystem fs;
    private final Path mountpoint;
    private final FuseConfig config;
    private final int devFd;
    private final Notifier notifier;
    private final BackingFiles backing;
    private final Dispatcher dispatcher;
    private final List<Thread> workers = new ArrayList<>();
    private final CountDownLatch stopped;
    private final AtomicBoolean destroyed = new AtomicBoolean();
    private final AtomicBoolean unmounted = new AtomicBoolean();
    private final RequestLog log;

    private FuseSession(FileSystem fs, Path mountpoint, FuseConfig config, int devFd) {
        this.fs = fs;
        this.mountpoint = mountpoint;
        this.config = config;
        this.devFd = devFd;
        this.notifier = new Notifier(devFd, config.debug());
        this.backing = new BackingFiles(devFd);
        this.dispatcher = new Dispatcher(fs, backing);
        this.stopped = new CountDownLatch(config.threads());
        this.log = config.debug() ? new RequestLog() : null;
    }

    /** Mounts {@code fs} at {@code mountpoint} and returns once it answers requests. */
    public static FuseSession mount(FileSystem fs, Path mountpoint, FuseConfig config) throws IOException {
        Path mp = mountpoint.toAbsolutePath().normalize();
        int fd = Mounter.open(mp, config);
        FuseSession s = new FuseSession(fs, mp, config, fd);
        try {
            fs.init(new FsContext(s.notifier));
        } catch (FsException e) {
            Mounter.unmount(mp, true);
            s.notifier.close();
            Libc.closeQuietly(fd);
            throw new IOException("file system failed to start: " + e.getMessage());
        }
        try {
            s.handshake();
            s.startWorkers();
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
        s.widenReadahead();
        return s;
    }

    /**
     * A FUSE mount starts with the kernel's default 128 KiB readahead window, which splits every
     * sequential read into 128 KiB READ requests: eight round trips per MiB. As root we widen the
     * mount's window to one maximal request. Runs after the workers start: the stat of the mount
     * point is itself a request to this daemon.
     */
    private void widenReadahead() {
        if (Libc.geteuid() != 0) return;
        try {
            long dev = ((Number) java.nio.file.Files.getAttribute(mountpoint, "unix:dev")).longValue();
            long major = ((dev >>> 8) & 0xfff) | ((dev >>> 32) & ~0xfffL);
            long minor = (dev & 0xff) | ((dev >>> 12) & ~0xffL);
            java.nio.file.Path ra = java.nio.file.Path.of("/sys/class/bdi/" + major + ":" + minor + "/read_ahead_kb");
            java.nio.file.Files.writeString(ra, Integer.toString(FuseConfig.MAX_WRITE / 1024));
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "readahead left at the default: " + e.getMessage());
        }
    }

    public Path mountpoint() {
        return mountpoint;
    }

    /** Waits until the file system is unmounted and all workers stopped. */
    public void join() throws InterruptedException {
        stopped.await();
        finish();
    }

    /** Unmounts (lazily if busy) and waits for the workers. Safe to call more than once. */
    @Override
    public void close() {
        if (unmounted.compareAndSet(false, true)) Mounter.unmount(mountpoint, false);
        try {
            if (!stopped.await(10, java.util.concurrent.TimeUnit.SECONDS)) {
                LOG.log(System.Logger.Level.WARNING, "workers did not stop after unmount of " + mountpoint);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        finish();
    }

    private void finish() {
        if (destroyed.compareAndSet(false, true)) {
            notifier.close();
            fs.destroy();
            Libc.closeQuietly(devFd);
        }
    }

    // ---- INIT ----

    private void handshake() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = arena.allocate(FuseConfig.MAX_WRITE + 8192, 8);
            MemorySegment out = arena.allocate(16 + 64, 8);
            Request rq = new Request();
            while (true) {
                long n;
                try {
                    n = Libc.read(devFd, in, in.byteSize());
                } catch (SysException e) {
                    if (e.errno() == Errno.EINTR || e.errno() == Errno.EAGAIN) continue;
                    throw new IOException("reading FUSE INIT: " + e.getMessage(), e);
                }
                try {
                    rq.reset(in, (int) n);
                } catch (BadRequestException e) {
                    throw new IOException("malformed first request: " + e.getMessage());
                }
                if (rq.opcode != Opcode.INIT) {
                    replyError(out, rq.unique, Errno.EIO);
                    continue;
                }
                if (answerInit(rq, out)) return;
            }
        }
    }

    /** Returns true when INIT was accepted; false when the kernel must retry with another major. */
    private boolean answerInit(Request rq, MemorySegment out) throws IOException {
        int at;
        try {
            at = rq.struct(16);
        } catch (BadRequestException e) {
            throw new IOException("short INIT request");
        }
        int major = rq.u32(at), minor = rq.u32(at + 4), maxReadahead = rq.u32(at + 8);
        long offered = Integer.toUnsignedLong(rq.u32(at + 12));
        if ((offered & InitFlags.INIT_EXT) != 0 && rq.remaining() >= 4) {
            offered |= Integer.toUnsignedLong(rq.u32(at + 16)) << 32;
        }
        if (major > 7) { // tell the kernel our major; it sends INIT again
            Reply r = new Reply(out).begin();
            r.u32(7).u32(45).zeros(56);
            write(out, r.finish(rq.unique, 0, r.position()));
            return false;
        }
        if (major < 7 || minor < 31) {
            replyError(out, rq.unique, Errno.EPROTO);
            throw new IOException("kernel FUSE protocol " + major + "." + minor + " is too old (need 7.31)");
        }
        long want = InitFlags.ASYNC_READ | InitFlags.POSIX_LOCKS | InitFlags.ATOMIC_O_TRUNC | InitFlags.EXPORT_SUPPORT
                | InitFlags.BIG_WRITES | InitFlags.FLOCK_LOCKS | InitFlags.DO_READDIRPLUS | InitFlags.READDIRPLUS_AUTO
                | InitFlags.ASYNC_DIO | InitFlags.PARALLEL_DIROPS | InitFlags.MAX_PAGES | InitFlags.INIT_EXT
                // Every backend clears set-id bits itself (WRITE_KILL_SUIDGID, SetAttr.KILL_SUIDGID);
                // without this the kernel asks GETXATTR security.capability before every write.
                | InitFlags.HANDLE_KILLPRIV_V2;
        switch (config.cacheMode()) {
            case EXCLUSIVE -> want |= InitFlags.EXPLICIT_INVAL_DATA | InitFlags.CACHE_SYMLINKS;
            case WRITETHROUGH -> want |= InitFlags.AUTO_INVAL_DATA | InitFlags.CACHE_SYMLINKS;
            case SHARED -> want |= InitFlags.AUTO_INVAL_DATA;
        }
        boolean passthrough = config.passthrough() && (offered & InitFlags.PASSTHROUGH) != 0
                && config.cacheMode() != io.strata.core.CacheMode.SHARED && Libc.geteuid() == 0;
        if (passthrough) {
            want |= InitFlags.PASSTHROUGH; // excludes the writeback cache
        } else if (config.cacheMode() == io.strata.core.CacheMode.EXCLUSIVE) {
            want |= InitFlags.WRITEBACK_CACHE;
        }
        long flags = want & offered;
        if ((flags & InitFlags.PASSTHROUGH) != 0) backing.enable();
        Reply r = new Reply(out).begin();
        r.u32(7).u32(Math.min(minor, 45)).u32(maxReadahead).u32((int) flags);
        r.u16(64).u16(48); // max_background, congestion_threshold
        r.u32(FuseConfig.MAX_WRITE).u32(1); // max_write, time_gran (ns timestamps)
        r.u16(FuseConfig.MAX_WRITE / 4096).u16(0); // max_pages, map_alignment
        r.u32((int) (flags >>> 32)).u32((flags & InitFlags.PASSTHROUGH) != 0 ? 1 : 0); // flags2, max_stack_depth
        r.zeros(24); // request_timeout + unused
        write(out, r.finish(rq.unique, 0, r.position()));
        if (config.debug()) {
            LOG.log(System.Logger.Level.INFO, "INIT " + major + "." + minor + " offered " + InitFlags.describe(offered)
                    + "; chose " + InitFlags.describe(flags));
        }
        return true;
    }

    private void replyError(MemorySegment out, long unique, int errno) throws IOException {
        write(out, new Reply(out).begin().finish(unique, errno, Reply.HEADER));
    }

    private void write(MemorySegment buf, int len) throws IOException {
        try {
            Libc.write(devFd, buf, len);
        } catch (SysException e) {
            throw new IOException("writing FUSE reply: " + e.getMessage(), e);
        }
    }

    // ---- workers ----

    private void startWorkers() throws IOException {
        List<Integer> fds = new ArrayList<>();
        fds.add(devFd);
        try {
            for (int i = 1; i < config.threads(); i++) fds.add(cloneChannel());
        } catch (SysException e) {
            for (int i = 1; i < fds.size(); i++) Libc.closeQuietly(fds.get(i));
            throw new IOException("cloning /dev/fuse channel: " + e.getMessage(), e);
        }
        for (int i = 0; i < fds.size(); i++) {
            Worker w = new Worker(new Channel(fds.get(i)), dispatcher, log, i > 0);
            workers.add(Thread.ofPlatform().name("strata-fuse-" + i).daemon().start(() -> {
                try {
                    w.run();
                } finally {
                    stopped.countDown();
                }
            }));
        }
    }

    private int cloneChannel() throws SysException {
        int fd = Libc.open("/dev/fuse", Libc.O_RDWR | Libc.O_CLOEXEC, 0);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment master = a.allocate(JAVA_INT);
            master.set(JAVA_INT, 0, devFd);
            Libc.ioctl(fd, DEV_IOC_CLONE, master);
            return fd;
        } catch (SysException e) {
            Libc.closeQuietly(fd);
            throw e;
        }
    }
}
