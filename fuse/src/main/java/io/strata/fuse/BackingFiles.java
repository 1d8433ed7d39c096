package io.strata.fuse;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import io.strata.sys.Libc;
import io.strata.sys.SysException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;

/**
 * FUSE passthrough registrations. The kernel allows one backing file per inode at a time and opens
 * its own file on the backing path with each FUSE open's flags, so we register the first backing
 * fd offered for an inode, share its id with later opens, and close it when the last one is
 * released. Guarded by this object's monitor.
 */
final class BackingFiles {
    private static final System.Logger LOG = System.getLogger("strata.fuse");
    static final long BACKING_OPEN = Libc.ioc(Libc.IOC_WRITE, 229, 1, 16);
    static final long BACKING_CLOSE = Libc.ioc(Libc.IOC_WRITE, 229, 2, 4);

    private record Registration(int id, int opens) {}

    private final int devFd;
    private final Map<Long, Registration> byIno = new HashMap<>();
    private boolean refused; // the kernel said no once: stop asking
    private volatile boolean enabled; // set once INIT negotiated FUSE_PASSTHROUGH

    BackingFiles(int devFd) {
        this.devFd = devFd;
    }

    void enable() {
        enabled = true;
    }

    boolean enabled() {
        return enabled;
    }

    /** Returns a backing id for {@code ino} (registering {@code fd} if needed), or -1 to fall back. */
    synchronized int acquire(long ino, int fd) {
        if (refused) return -1;
        Registration r = byIno.get(ino);
        if (r != null) {
            byIno.put(ino, new Registration(r.id, r.opens + 1));
            return r.id;
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment map = a.allocate(16, 8); // struct fuse_backing_map { i32 fd; u32 flags; u64 padding; }
            map.set(JAVA_INT, 0, fd);
            int id = Libc.ioctl(devFd, BACKING_OPEN, map);
            byIno.put(ino, new Registration(id, 1));
            return id;
        } catch (SysException e) {
            refused = true;
            LOG.log(System.Logger.Level.WARNING, "FUSE passthrough refused (" + e.getMessage()
                    + "); serving reads and writes through the daemon");
            return -1;
        }
    }

    /** One passthrough open of {@code ino} ended. */
    synchronized void release(long ino) {
        Registration r = byIno.get(ino);
        if (r == null) return;
        if (r.opens > 1) {
            byIno.put(ino, new Registration(r.id, r.opens - 1));
            return;
        }
        byIno.remove(ino);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment id = a.allocate(JAVA_INT);
            id.set(JAVA_INT, 0, r.id);
            Libc.ioctl(devFd, BACKING_CLOSE, id);
        } catch (SysException e) {
            LOG.log(System.Logger.Level.WARNING, "closing backing id " + r.id + ": " + e.getMessage());
        }
    }
}
