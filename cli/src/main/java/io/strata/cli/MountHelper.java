package io.strata.cli;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The call shape of a mount helper: {@code strata SOURCE MNT -o OPTS}. mount.fuse3 runs exactly
 * this for {@code mount -t fuse.strata SOURCE MNT} and for fstab lines of type fuse.strata, adding
 * {@code rw,...,dev,suid} for root. SOURCE names the backend the way fstab's first field would:
 * {@code memory}, a directory (passthrough), an image file or {@code ext2:IMAGE}; options with
 * {@code lowerdir=} mean a union whatever SOURCE says.
 */
final class MountHelper {
    private MountHelper() {}

    /** Not a strata command, and two operands first: what mount.fuse3 sends. */
    static boolean isHelperCall(String[] args) {
        return args.length >= 2 && !args[0].startsWith("-") && !args[1].startsWith("-");
    }

    static int run(String[] args, PrintStream out, PrintStream err) throws UsageException {
        List<String> operands = new ArrayList<>();
        List<String> rest = new ArrayList<>();
        List<String> opts = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                // mount(8)'s helper flags: no mtab (-n), sloppy (-s), verbose (-v) mean nothing here
                case "-n", "-s", "-v" -> { }
                case "-t" -> i++; // the type, fuse.strata: we are it
                case "-o" -> {
                    if (++i >= args.length) throw new UsageException("-o needs a value");
                    opts.add(args[i]);
                }
                case "-N" -> throw new UsageException("mounting in another namespace (-N) is not supported");
                default -> {
                    if (a.startsWith("-o") && a.length() > 2) opts.add(a.substring(2));
                    else if (a.startsWith("-")) rest.add(a); // strata mount's own flags (-f, --debug, ...)
                    else operands.add(a);
                }
            }
        }
        if (operands.size() != 2) throw new UsageException("usage: strata SOURCE MOUNTPOINT [-o OPTIONS] (as mount.fuse3 runs it)");
        String source = operands.get(0), mnt = operands.get(1);
        // mnt may be /dev/fd/N: mount.fuse3's drop_privileges mounted already (see PreopenedMount).
        // It can no longer be unmounted by us (mount.fuse3 dropped our capabilities), so a refusal
        // leaves a dead mount: say how to clear it.
        if (!mnt.startsWith("/dev/fd/")) return mount(source, mnt, opts, rest, out, err);
        String hint = "mount.fuse3 (drop_privileges) mounted before strata could check; clear that mount with umount";
        try {
            int rc = mount(source, mnt, opts, rest, out, err);
            if (rc != 0) err.println("strata: " + hint);
            return rc;
        } catch (UsageException e) {
            throw new UsageException(e.getMessage() + "\nstrata: " + hint);
        }
    }

    private static int mount(String source, String mnt, List<String> opts, List<String> rest, PrintStream out, PrintStream err)
            throws UsageException {
        List<String> cmd = new ArrayList<>();
        if (opts.stream().anyMatch(MountHelper::hasLowerdir)) {
            cmd.add("union");
        } else {
            cmd.addAll(backendOf(source));
        }
        cmd.add(mnt);
        for (String o : opts) {
            cmd.add("-o");
            cmd.add(o);
        }
        cmd.addAll(rest);
        return MountCommand.run(cmd.toArray(String[]::new), out, err);
    }

    private static boolean hasLowerdir(String opts) {
        for (String o : opts.split(",")) if (o.startsWith("lowerdir=")) return true;
        return false;
    }

    /** SOURCE as {@code strata mount}'s BACKEND [SRC]. */
    static List<String> backendOf(String source) throws UsageException {
        int colon = source.indexOf(':');
        if (colon > 0) {
            String type = source.substring(0, colon), arg = source.substring(colon + 1);
            Backends.Kind kind = Backends.kind(type);
            if (!kind.needsSource()) return List.of(kind.label());
            if (arg.isEmpty()) throw new UsageException(type + ": needs a path (" + type + ":PATH)");
            return List.of(kind.label(), arg);
        }
        switch (source) {
            case "memory", "mem", "tmpfs", "none" -> {
                return List.of("memory");
            }
            case "union", "overlay" -> {
                return List.of("union");
            }
            default -> { }
        }
        Path p = Path.of(source);
        if (Files.isDirectory(p)) return List.of("passthrough", source);
        if (Files.isRegularFile(p)) return List.of("ext2", source);
        if (!Files.exists(p)) {
            throw new UsageException(source + ": no such file or directory (SOURCE is memory, a directory, an ext2 image "
                    + "or TYPE:PATH such as ext2:disk.img)");
        }
        throw new UsageException(source + ": neither a directory nor an image file");
    }
}
