package io.strata.fuse;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import io.strata.core.CacheMode;
import io.strata.core.Errno;
import io.strata.core.Feature;
import io.strata.core.FileSystem;
import io.strata.core.Session;
import io.strata.sys.Libc;
import io.strata.sys.SysException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A mounted FUSE connection serving one {@link FileSystem}: mounts, answers INIT, runs worker
 * threads (each reading its own cloned channel) and unmounts.
 *
 * <p>The mount serves a {@link Session} attached to the file system ({@code "fuse:" + mountpoint}),
 * never the file system itself: one file system can be mounted any number of times at once (and
 * served by other frontends besides), and ending a mount only detaches its session, which forgets
 * exactly the references this mount held. FuseSession never closes the file system; whoever built
 * it closes it after the session ended ({@link #join} or {@link #close} returned).
 *
 * <p>Life cycle: {@link #mount} returns once the kernel's INIT was answered, so the mount serves
 * requests. It ends when the file system is unmounted (by {@link #close}, umount(8) or
 * {@code strata umount}): every channel then reads ENODEV and the workers stop. A lazily detached
 * mount may keep serving open files after {@link #close}'s wait; then the session is detached
 * anyway (those callers get ENOTCONN) and close returns once no request is inside the file system,
 * so the owner may close it.
 */
public final class FuseSession implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("strata.fuse");
    static final long DEV_IOC_CLONE = Libc.ioc(Libc.IOC_READ, 229, 0, 4);

    private final Path mountpoint;
    private final FuseConfig config;
    private final int devFd;
    private final Notifier notifier;
    private final Session session;
    private final BackingFiles backing;
    private final CacheMode mode;
    private volatile Dispatcher dispatcher; // made once INIT settled what was negotiated
    private final List<Worker> workers = new ArrayList<>();
    private final CountDownLatch stopped;
    private final AtomicBoolean detached = new AtomicBoolean();
    private final AtomicBoolean released = new AtomicBoolean();
    private final AtomicBoolean unmounted = new AtomicBoolean();
    private final RequestLog log;
    private final RequestStats stats = new RequestStats();

    private FuseSession(FileSystem fs, Path mountpoint, FuseConfig config, int devFd, CacheMode mode) {
        this.mountpoint = mountpoint;
        this.config = config;
        this.devFd = devFd;
        this.mode = mode;
        this.notifier = new Notifier(devFd, config.debug());
        this.session = Session.attach(fs, "fuse:" + mountpoint, notifier);
        this.backing = new BackingFiles(devFd);
        this.stopped = new CountDownLatch(config.threads());
        this.log = config.debug() ? new RequestLog() : null;
    }

    /**
     * Mounts {@code fs} at {@code mountpoint} and returns once it answers requests. The INIT
     * capabilities follow the file system's {@link FileSystem#cachePolicy()}; if {@code config}
     * names a cache mode, it must be the same one.
     */
    public static FuseSession mount(FileSystem fs, Path mountpoint, FuseConfig config) throws IOException {
        Path mp = mountpoint.toAbsolutePath().normalize();
        CacheMode mode = fs.cachePolicy().mode();
        if (config.cacheMode() != null && config.cacheMode() != mode) {
            throw new IOException("cache mode mismatch: the mount asks for cache=" + config.cacheMode().option()
                    + " but the file system serves cache=" + mode.option()
                    + " (its cachePolicy() decides; open it with cache=" + config.cacheMode().option()
                    + " or leave the mount's cache mode unset)");
        }
        int fd = Mounter.open(mp, config);
        FuseSession s = new FuseSession(fs, mp, config, fd, mode);
        try {
            s.handshake();
            s.startWorkers();
        } catch (IOException | RuntimeException e) {
            if (s.workers.isEmpty()) {
                // Nothing serves yet: unmount, detach and close the descriptor ourselves.
                Mounter.unmount(mp, false);
                s.detach();
                s.notifier.close();
                Libc.closeQuietly(fd);
            } else {
                s.close();
            }
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
        if (Libc.geteuid() != 0 || mountpoint.toString().startsWith("/dev/fd/")) return;
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

    /** Requests served so far per opcode, with latency percentiles (always collected). */
    public RequestStats stats() {
        return stats;
    }

    /** True if this mount answered OPENDIR with ENOSYS at INIT's choice (see {@link #noOpendir}). */
    public boolean skipsOpendir() {
        Dispatcher d = dispatcher;
        return d != null && d.skipsOpendir();
    }

    /** The session this mount serves (for tests and diagnostics). */
    Session session() {
        return session;
    }

    /**
     * Waits until the file system is unmounted and all workers stopped; the session is detached
     * when this returns, and the owner may close the file system.
     */
    public void join() throws InterruptedException {
        stopped.await();
        finish();
    }

    /**
     * Unmounts (lazily if busy), waits for the workers, and detaches the session. Safe to call more
     * than once. When it returns no request of this mount is inside the file system, so the owner
     * may close it.
     */
    @Override
    public void close() {
        if (unmounted.compareAndSet(false, true)) Mounter.unmount(mountpoint, false);
        try {
            if (!stopped.await(10, TimeUnit.SECONDS)) {
                LOG.log(System.Logger.Level.WARNING, "workers did not stop after unmount of " + mountpoint
                        + " (lazily detached and still in use?); detaching its session: further requests get ENOTCONN");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        finish();
    }

    private void finish() {
        detach();
        if (stopped.getCount() == 0) releaseDevice();
    }

    /** Detaches the session and waits until no worker is inside a file-system call. */
    private void detach() {
        if (!detached.compareAndSet(false, true)) return;
        session.close();
        // A worker that entered the session before it closed may still be in the file system.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        for (Worker w : workers) {
            while (w.busy() && System.nanoTime() < deadline) {
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /**
     * Closes the notifier and the connection's first descriptor once every worker stopped (worker
     * 0 reads that descriptor: closing it under a blocked read would let the number be reused).
     */
    private void releaseDevice() {
        if (released.compareAndSet(false, true)) {
            notifier.close();
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
        // The caller's one supplementary group on creates (see ProcGroups for what it can and cannot say).
        if (minor >= 38) want |= InitFlags.CREATE_SUPP_GROUP;
        // The backend's effective policy decides, so the kernel caches exactly what the backend's
        // timeouts and open flags promise.
        switch (mode) {
            case EXCLUSIVE -> want |= InitFlags.EXPLICIT_INVAL_DATA | InitFlags.CACHE_SYMLINKS;
            case WRITETHROUGH -> want |= InitFlags.AUTO_INVAL_DATA | InitFlags.CACHE_SYMLINKS;
            case SHARED -> want |= InitFlags.AUTO_INVAL_DATA;
        }
        // Passthrough lets the kernel read and write the backing file without us: only when the
        // whole stack says it may (a stacker that must see the data strips BACKING_FDS).
        boolean passthrough = config.passthrough() && session.features().contains(Feature.BACKING_FDS)
                && (offered & InitFlags.PASSTHROUGH) != 0 && mode != CacheMode.SHARED && Libc.geteuid() == 0;
        if (passthrough) {
            want |= InitFlags.PASSTHROUGH; // excludes the writeback cache
        } else if (mode == CacheMode.EXCLUSIVE && config.writeback()) {
            want |= InitFlags.WRITEBACK_CACHE;
        }
        long flags = want & offered;
        if ((flags & InitFlags.PASSTHROUGH) != 0) backing.enable();
        boolean noOpendir = noOpendir(offered);
        if (noOpendir) flags |= InitFlags.NO_OPENDIR_SUPPORT;
        dispatcher = new Dispatcher(session, backing, (flags & InitFlags.WRITEBACK_CACHE) != 0, config.defaultPermissions(),
                noOpendir, stats);
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

    /**
     * Zero-message directories: after one OPENDIR answered ENOSYS the kernel opens every directory
     * itself (fh 0, FOPEN_KEEP_CACHE|FOPEN_CACHE_DIR, no RELEASEDIR; fs/fuse/file.c
     * fuse_file_open). Only when that changes nothing the backend would have said: its readdir
     * needs no handle ({@link Feature#STATELESS_DIRS}), its own opendir would have answered exactly
     * those flags (exclusive mode, where the kernel's listing cache stays valid until a change
     * through this mount bumps the directory's version or a notification invalidates it), and the
     * kernel checks the read permission opendir would have (default_permissions).
     */
    private boolean noOpendir(long offered) {
        int keep = io.strata.core.Opened.KEEP_CACHE | io.strata.core.Opened.CACHE_DIR;
        return (offered & InitFlags.NO_OPENDIR_SUPPORT) != 0 && mode == CacheMode.EXCLUSIVE
                && config.defaultPermissions() && session.features().contains(Feature.STATELESS_DIRS)
                && session.cachePolicy().dirOpenFlags() == keep;
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
        for (int i = 0; i < fds.size(); i++) workers.add(new Worker(new Channel(fds.get(i)), dispatcher, log, i > 0));
        for (int i = 0; i < workers.size(); i++) {
            Worker w = workers.get(i);
            Thread.ofPlatform().name("strata-fuse-" + i).daemon().start(() -> {
                try {
                    w.run();
                } finally {
                    stopped.countDown();
                    if (stopped.getCount() == 0 && detached.get()) releaseDevice();
                }
            });
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
