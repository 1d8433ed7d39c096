package io.strata.cli;

import io.strata.core.FileSystem;
import io.strata.fuse.FuseConfig;
import io.strata.fuse.FuseSession;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code strata mount BACKEND [SRC] MNT [-o OPTS] [-f] [--threads N] [--debug]}.
 *
 * <p>Without {@code -f} the command starts itself again as a detached daemon (its own session,
 * output to a log file) and returns once the mount answers, like other FUSE tools. With {@code -f}
 * it serves in the foreground until unmounted; Ctrl-C and SIGTERM unmount cleanly.
 *
 * <p>The command builds the file system and owns it: the FUSE mount only attaches a session, and
 * the file system is closed here (ext2 writes back its metadata then) once the mount ended.
 */
final class MountCommand {
    private MountCommand() {}

    static final String HELP = """
            usage: strata mount memory MNT [OPTIONS]
                   strata mount passthrough SRC MNT [OPTIONS]
                   strata mount ext2 IMAGE MNT [OPTIONS]
                   strata mount union MNT -o lowerdir=L1[:L2...][,upperdir=U,workdir=W] [OPTIONS]

            options:
              -o OPT[,OPT...]   mount options (below); may be repeated
              -f                stay in the foreground (default: return once mounted, daemon in background)
              --threads N       FUSE worker threads (default 4)
              --debug           log one line per FUSE request and reply (implies -f unless --log is given)
              --stats           write the request statistics (count, errors, latency percentiles per
                                FUSE opcode) to the log at unmount; any mount daemon writes them
                                on kill -USR1 PID
              --log FILE        daemon log file (default: <mountpoint>.log, '/' as '_', in a directory
                                only you can write: $XDG_RUNTIME_DIR/strata, /run/strata for root,
                                /run/user/UID/strata, or a 0700 TMPDIR/strata-UID made by strata);
                                an existing symlink or another user's file there is refused

            mount options:
              size=SIZE                         memory: capacity (default: half of RAM), e.g. 512M, 2G
              cache=exclusive|writethrough|shared
                                                exclusive: nobody else changes the source, cache all;
                                                writethrough: cache reads, writes reach the source at once;
                                                shared: others change the source too, never stale.
                                                default: memory/ext2 exclusive, passthrough shared
              ro, rw                            read-only / read-write (default rw)
              allow_other                       let other users use the mount
              default_permissions (default), nodefault_permissions
                                                let the kernel check mode bits as well; every backend
                                                enforces permissions itself, so nodefault_permissions
                                                is safe (it lets the backend decide alone)
              handles=never|prefer|mandatory    passthrough: identify files by file handle (default %s)
              dev, nodev                        device nodes usable through the mount (passthrough:
                                                opened on the host); default nodev
              suid, nosuid, exec, noexec, noatime, relatime, strictatime, nodiratime, lazytime,
              sync, dirsync, nosymfollow        the mount's flags, as for any mount (default nosuid)
              defaults, auto, noauto, user, users, nofail, _netdev, x-*, comment=
                                                for mount(8), fstab and systemd: accepted, ignored
              passthrough=on|off                passthrough: kernel FUSE passthrough I/O (default on)
              cache_size=SIZE                   ext2: buffer cache size (default 64M)
              verity                            stack the verity layer: fsverity enable/measure work on
                                                the mount, reads of verity files are verified
              manifest=FILE                     a sealed layer (strata verity seal): read-only, and a file
                                                opens only with verity and the digest FILE lists for it
              lowerdir=L1:L2,upperdir=U,workdir=W
                                                union: read-only layers (top first) and the writable
                                                upper with its work dir (same file system). A layer is
                                                a directory, ext2:IMAGE or memory: ('\\:' is a colon in
                                                a path); upperdir=memory: or ext2:IMAGE need no workdir
              copymode=transparent              union: owner/mode of copied-up objects (traditional and
                                                masquerade: not implemented yet)
              whiteout=whenneeded|always        union: when a removal leaves a whiteout
              redirect_dir=on|follow|nofollow|off
                                                union: renaming a lower/merged directory writes a
                                                redirect xattr (on, the default) or is EXDEV (follow,
                                                off: redirects are still followed; nofollow: not)
              userxattr                         union: user.overlay.* instead of trusted.overlay.*
              writeback, nowriteback            the kernel's writeback cache (default: on with
                                                cache=exclusive, except memory). Faster writes, but ENOSPC/EIO
                                                show only at fsync or close: nowriteback makes
                                                every write reach the backend before it returns
            """.formatted(Backends.defaultHandles());

    static int run(String[] args, PrintStream out, PrintStream err) throws UsageException {
        List<String> positional = new ArrayList<>();
        List<String> opts = new ArrayList<>();
        boolean foreground = false, debug = false, stats = false;
        int threads = 4;
        Path log = null;
        int readyFd = -1;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "-h", "--help" -> {
                    out.print(HELP);
                    return 0;
                }
                case "-o" -> opts.add(value(args, ++i, "-o"));
                case "-f", "--foreground" -> foreground = true;
                case "--debug", "-d" -> debug = true;
                case "--stats" -> stats = true;
                case "--threads" -> {
                    try {
                        threads = Integer.parseInt(value(args, ++i, "--threads"));
                    } catch (NumberFormatException e) {
                        throw new UsageException("--threads needs a number");
                    }
                    if (threads < 1 || threads > 256) throw new UsageException("--threads must be between 1 and 256");
                }
                case "--log" -> log = Path.of(value(args, ++i, "--log"));
                case "--ready-fd" -> { // internal: PreopenedMount's daemon reports "serving" here
                    try {
                        readyFd = Integer.parseInt(value(args, ++i, "--ready-fd"));
                    } catch (NumberFormatException e) {
                        throw new UsageException("--ready-fd needs a number");
                    }
                }
                default -> {
                    if (a.startsWith("-o") && a.length() > 2) opts.add(a.substring(2));
                    else if (a.startsWith("-")) throw new UsageException("unknown flag " + a + " (see strata mount --help)");
                    else positional.add(a);
                }
            }
        }
        if (positional.isEmpty()) throw new UsageException("mount needs a backend: memory, passthrough or ext2 (see strata mount --help)");
        Backends.Kind kind = Backends.kind(positional.get(0));
        int want = kind.needsSource() ? 3 : 2;
        if (positional.size() != want) {
            throw new UsageException("usage: strata mount " + kind.label() + (kind.needsSource() ? " SOURCE" : "") + " MNT [-o OPTS]");
        }
        Path source = kind.needsSource() ? Path.of(positional.get(1)).toAbsolutePath().normalize() : null;
        Path mnt = Path.of(positional.get(want - 1)).toAbsolutePath().normalize();
        MountOptions mo = MountOptions.parse(opts, kind.defaultCache(), kind.writebackByDefault());
        Backends.check(kind, source, mo);
        if (debug && log == null) foreground = true;

        int preopened;
        try {
            preopened = io.strata.fuse.Mounter.preopenedFd(mnt);
        } catch (IOException e) {
            throw new UsageException(e.getMessage());
        }
        if (preopened >= 0) {
            // mount.fuse3 -o drop_privileges mounted already and hands us /dev/fuse as /dev/fd/N
            if (!foreground) return PreopenedMount.start(args, mnt, preopened, log, out, err);
        } else {
            int refused = checkMountPoint(mnt);
            if (refused != 0) return refused;
        }
        if (!foreground) return Daemon.start(args, mnt, log, out, err);
        return serve(kind, source, mnt, mo, threads, debug, stats, preopened >= 0, readyFd, err);
    }

    /** Refuses a mount point that is not an empty-of-FUSE directory; 0 if it is fine. */
    private static int checkMountPoint(Path mnt) throws UsageException {
        MountTable.Mount existing = MountTable.find(mnt);
        if (existing != null && existing.type().startsWith("fuse")) {
            if (io.strata.fuse.Mounter.isDead(mnt)) {
                throw new UsageException(mnt + " holds a dead FUSE mount; clear it with: strata umount " + mnt);
            }
            throw new UsageException(mnt + " is already a FUSE mount (" + existing.type() + ")");
        }
        if (!Files.exists(mnt)) {
            // as bindfs and sshfs: a typo must not become a new directory with a mount on it
            throw new UsageException("mount point " + mnt + " does not exist (create it first: mkdir -p " + mnt + ")");
        } else if (!Files.isDirectory(mnt)) {
            throw new UsageException("mount point " + mnt + " is not a directory");
        }
        return 0;
    }

    /** The daemon: opens the stack and serves it at {@code mnt} until it is unmounted. */
    private static int serve(Backends.Kind kind, Path source, Path mnt, MountOptions mo, int threads, boolean debug,
                             boolean stats, boolean preopened, int readyFd, PrintStream err) {

        // The cache mode is the backend's (opened with mo.cache() below); the mount follows its policy.
        FuseConfig cfg = FuseConfig.defaults().withThreads(threads).withDebug(debug)
                .withNames(Backends.fsname(kind, source), "strata")
                .withAccess(mo.allowOther(), mo.defaultPermissions(), mo.readOnly())
                .withPassthrough(kind == Backends.Kind.PASSTHROUGH && mo.passthrough())
                .withWriteback(mo.writeback()).withVfsFlags(mo.vfsFlags());
        MountInfo info = null;
        if (!preopened) try { // a /dev/fd/N mount point names no directory to lock; mount.fuse3 made the mount
            String what = source != null ? source.toString()
                    : mo.union() != null ? "lowerdir=" + mo.union().lowerdir() + (mo.union().upperdir() != null ? ",upperdir=" + mo.union().upperdir() : "")
                    : "-";
            String logFile = System.getenv("STRATA_LOG_FILE");
            info = new MountInfo(ProcessHandle.current().pid(), kind.label() + (mo.verity() ? "+verity" : ""), what,
                    mo.cache().option(), logFile != null ? logFile : "-");
            MountLock.take(mnt, info);
        } catch (io.strata.core.HostLocks.HeldException e) {
            err.println("strata: " + e.getMessage());
            return 1;
        } catch (IOException e) {
            err.println("strata: cannot lock " + mnt + " for mounting: " + e.getMessage());
            return 1;
        }
        FileSystem fs;
        try {
            fs = Backends.open(kind, source, mo);
        } catch (IOException | IllegalArgumentException | IllegalStateException e) {
            err.println("strata: cannot open " + (source == null ? kind.label() : source) + ": " + e.getMessage());
            return 1;
        }
        String roReason = mo.readOnly() ? null : Backends.readOnlyReason(fs);
        if (roReason != null) {
            // the kernel must know too: /proc/mounts says ro and writes fail with EROFS up front
            cfg = cfg.withAccess(mo.allowOther(), mo.defaultPermissions(), true);
            String note = (source != null ? source : kind.label()) + " is mounted read-only: " + roReason;
            err.println("strata: note: " + note);
            if (info != null) {
                info = info.withNote(note);
                try {
                    MountLock.describe(mnt, info); // the starter relays the note to the user's terminal
                } catch (IOException e) {
                    err.println("strata: cannot update " + mnt + "'s lock file: " + e.getMessage());
                }
            }
        }
        OwnedMount owned = new OwnedMount(fs);
        // SIGTERM / Ctrl-C: the JVM exits when the hooks finish, so the hook must also close the
        // file system (ext2 flushes its metadata there), not leave it to the main thread. It is
        // installed before mounting so that no signal can leave a mount without its daemon. A clean
        // unmount that way is a success: exit 0, not the signal's 128+n.
        Thread hook = new Thread(() -> {
            owned.closeFromSignal();
            if (stats) printStats(owned.session(), mnt, err);
            err.println("strata: " + mnt + " unmounted");
            err.flush();
            Runtime.getRuntime().halt(0);
        }, "strata-unmount");
        Runtime.getRuntime().addShutdownHook(hook);
        FuseSession session;
        try {
            session = FuseSession.mount(fs, mnt, cfg);
        } catch (IOException e) {
            owned.mountFailed();
            owned.close();
            try {
                Runtime.getRuntime().removeShutdownHook(hook); // it would exit 0
            } catch (IllegalStateException shuttingDown) {
                // a signal came meanwhile: the hook ends the process
            }
            err.println("strata: " + e.getMessage());
            return 1;
        }
        owned.mounted(session);
        FuseSession served = session;
        if (!StatsSignal.install(() -> printStats(served, mnt, err))) {
            err.println("strata: note: SIGUSR1 is reserved in this JVM; no statistics on kill -USR1");
        }
        PreopenedMount.signalReady(readyFd);
        err.println("strata: " + kind.label() + " mounted at " + mnt + " (cache=" + fs.cachePolicy().mode().option() + ", pid "
                + ProcessHandle.current().pid() + ")");
        try {
            session.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        owned.close(); // waits for the hook if it is closing already
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is already running (and done with the mount: close() above waited for it)
        }
        if (stats) printStats(session, mnt, err);
        err.println("strata: " + mnt + " unmounted");
        return 0;
    }

    /** The request statistics table, as one block (from a signal thread, the hook or at the end). */
    private static void printStats(FuseSession s, Path mnt, PrintStream err) {
        if (s == null) return;
        String table = s.stats().table(mnt.toString());
        synchronized (err) {
            err.print("strata: " + table);
            err.flush();
        }
    }

    private static String value(String[] args, int i, String flag) throws UsageException {
        if (i >= args.length) throw new UsageException(flag + " needs a value");
        return args[i];
    }
}
