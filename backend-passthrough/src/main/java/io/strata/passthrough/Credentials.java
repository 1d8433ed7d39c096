package io.strata.passthrough;

import io.strata.core.Caller;
import io.strata.core.Errno;
import io.strata.core.FsException;
import io.strata.sys.Libc;
import io.strata.sys.SysException;
import io.strata.sys.ThreadCredentials;
import java.util.Arrays;

/**
 * Acting as the caller on the host, as virtiofsd's credentials module does.
 *
 * <h2>Switching (the daemon runs as root)</h2>
 * Around each system call that the host kernel must check for the caller, the calling thread takes
 * the caller's supplementary groups, effective gid and effective uid (raw per-thread syscalls, see
 * {@link ThreadCredentials}) and gives them back afterwards. With a non-zero effective uid the
 * thread has no capabilities, so the host kernel decides exactly as for that user (mode bits, ACLs,
 * sticky directories, set-id clearing, CAP_MKNOD for devices, CAP_SYS_ADMIN for trusted.* xattrs)
 * and new objects are created owned by the caller, with the group the host file system picks (the
 * caller's gid, or a set-group-id directory's). A root caller runs unswitched (only its gid is set
 * when it is not the daemon's), keeping root's powers.
 *
 * <p>Rules for what runs inside {@link #as}: system calls only. No locks, no blocking, no class
 * loading from files the caller could not read, no descriptor leases (open_by_handle_at needs a
 * capability the switched thread lacks). A virtual thread cannot be unmounted there (nothing in it
 * yields), so the carrier thread that switched is the one that restores. Supplementary groups are
 * resolved ({@code Caller.groups().toArray()}, which may read /proc) before switching.
 *
 * <h2>Checking (the daemon is not root)</h2>
 * Without CAP_SETUID/CAP_SETGID the thread cannot become the caller. Then every operation is first
 * checked with core {@link io.strata.core.Access} against the host attributes and performed as the
 * daemon (objects are owned by the daemon's user). The host kernel still checks the daemon itself.
 * {@link #switches()} tells which path is taken; it is decided once, when the share is opened, by
 * trying a switch and its undo.
 */
final class Credentials {
    private final boolean switches;
    private final int daemonGid;
    private final int[] daemonGroups;

    private Credentials(boolean switches, int daemonGid, int[] daemonGroups) {
        this.switches = switches;
        this.daemonGid = daemonGid;
        this.daemonGroups = daemonGroups;
    }

    /** Decides the mode for this process; {@code allowSwitch} false forces checking (tests). */
    static Credentials probe(boolean allowSwitch) {
        if (!allowSwitch || !ThreadCredentials.supported() || Libc.geteuid() != 0) {
            return new Credentials(false, Libc.getgid(), new int[0]);
        }
        try {
            int gid = ThreadCredentials.getresgid()[1];
            int[] groups = ThreadCredentials.getgroups();
            Credentials c = new Credentials(true, gid, groups);
            // Prove that a switch and its undo work here (a container may lack CAP_SETUID).
            c.enter(65534, 65534, new int[0]);
            c.exit(65534, 65534, new int[0]);
            return c;
        } catch (SysException | RuntimeException e) {
            return new Credentials(false, Libc.getgid(), new int[0]);
        }
    }

    /** True: the host kernel checks as the caller. False: {@code Access} checks, the daemon acts. */
    boolean switches() {
        return switches;
    }

    /** A system call (or a few) to run as the caller. */
    interface SysCall<T> {
        T call() throws SysException;
    }

    interface SysRun {
        void run() throws SysException;
    }

    /** Runs {@code op} with the caller's credentials (or as the daemon when not switching). */
    <T> T as(Caller c, SysCall<T> op) throws SysException {
        if (!switches || (c.uid() == 0 && c.gid() == daemonGid)) return op.call();
        int uid = c.uid(), gid = c.gid();
        int[] groups = uid == 0 ? null : c.groups().toArray(); // resolved before switching
        enter(uid, gid, groups);
        try {
            return op.call();
        } finally {
            exit(uid, gid, groups);
        }
    }

    void run(Caller c, SysRun op) throws SysException {
        as(c, () -> {
            op.run();
            return null;
        });
    }

    /** True if {@link #as} changes anything for {@code c}. */
    boolean switchesFor(Caller c) {
        return switches && !(c.uid() == 0 && c.gid() == daemonGid);
    }

    // Order matters: groups and gid need CAP_SETGID, which goes with the uid; the undo restores the
    // uid (and with it the capabilities) first.

    private void enter(int uid, int gid, int[] groups) throws SysException {
        boolean setGroups = groups != null && !Arrays.equals(groups, daemonGroups);
        if (setGroups) ThreadCredentials.setgroups(groups);
        try {
            if (gid != daemonGid) ThreadCredentials.setresgid(-1, gid, -1);
            if (uid != 0) ThreadCredentials.setresuid(-1, uid, -1);
        } catch (SysException e) {
            exit(uid, gid, groups);
            throw e;
        }
    }

    private void exit(int uid, int gid, int[] groups) {
        Throwable failed = null;
        try {
            if (uid != 0) ThreadCredentials.setresuid(-1, 0, -1);
        } catch (Throwable t) {
            failed = t;
        }
        try {
            if (gid != daemonGid) ThreadCredentials.setresgid(-1, daemonGid, -1);
        } catch (Throwable t) {
            failed = t;
        }
        try {
            if (groups != null && !Arrays.equals(groups, daemonGroups)) ThreadCredentials.setgroups(daemonGroups);
        } catch (Throwable t) {
            failed = t;
        }
        // A thread left with another user's identity must not serve anything else.
        if (failed != null) throw new IllegalStateException("could not restore the daemon's credentials", failed);
    }

    static {
        // Classes first used inside a switched section must already be loaded: loading one there
        // would read the class path as the caller, who may not be allowed to.
        new SysException("preload", Errno.ENOENT).getMessage();
        FsException.of(Errno.ENOENT).errno();
    }
}
