package io.strata.cli;

import java.io.PrintStream;
import java.util.Arrays;

/** The {@code strata} command. */
public final class Main {
    private Main() {}

    static final String USAGE = """
            usage: strata COMMAND [ARGS]

            commands:
              mount memory MNT [-o size=SIZE]            mount an in-memory file system (tmpfs-like)
              mount passthrough SRC MNT [-o cache=MODE]  share the host directory SRC at MNT
              mount ext2 IMAGE MNT [-o ro]               mount an ext2 disk image
              umount [-l] MNT                            unmount (also clears a mount whose daemon died)
              list                                       the Strata mounts: backend, cache mode, daemon pid, log
              mkfs.ext2 IMAGE SIZE [-b BS] [-I ISIZE] [-d DIR]   make an ext2 image without root
              ext2 ls|cat|get|put|mkdir|rm IMAGE PATH... work on an image without mounting it
              serve9p SOURCE --listen tcp:H:P|unix:PATH  export SOURCE over 9P2000.L (see serve9p --help)
              verity digest FILE... [--hash-alg=ALG] [--block-size=N] [--salt=HEX]
                                                         fs-verity file digests, as fsverity digest prints them
              verity seal DIR|IMAGE [--manifest OUT]     enable verity on every file and write a manifest
                                                         (mount with -o manifest=OUT to pin the tree)
              verity gc DIR|IMAGE                        remove Merkle trees of deleted files (offline)
              SOURCE MNT [-o OPTS]                       the mount helper form (mount -t fuse.strata):
                                                         SOURCE is memory, a directory, an image or TYPE:PATH
              install [--prefix DIR], uninstall          put strata on PATH (default /usr/local) for
                                                         mount -t fuse.strata and fstab

            'strata mount --help' lists the mount options. Cache modes: exclusive, writethrough, shared.
            """;

    public static void main(String[] args) {
        // One line per record, on the terminal and in logs (java.util.logging's default takes two):
        // "2026-11-22 11:43:25 WARNING ext2: /img: ...". Set before the first logger exists.
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tF %1$tT %4$s %5$s%6$s%n");
        }
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
            (args.length == 0 ? err : out).print(USAGE);
            return args.length == 0 ? 2 : 0;
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        try {
            return switch (args[0]) {
                case "mount" -> MountCommand.run(rest, out, err);
                case "umount", "unmount" -> UmountCommand.run(rest, out, err);
                case "list", "ls" -> ListCommand.run(rest, out, err);
                case "mkfs.ext2" -> io.strata.ext2.tools.Mkfs.run(rest, out, err);
                case "ext2" -> io.strata.ext2.tools.Ext2Tool.run(rest, out, err);
                case "serve9p" -> ServeCommand.run(rest, out, err);
                case "verity" -> io.strata.verity.VerityCommand.run(rest, out, err, Backends::openForSeal);
                case "--version", "version" -> {
                    out.println("strata 0.1.0");
                    yield 0;
                }
                default -> {
                    if (MountHelper.isHelperCall(args)) yield MountHelper.run(args, out, err);
                    throw new UsageException("unknown command '" + args[0] + "' (see strata --help)");
                }
            };
        } catch (UsageException e) {
            err.println("strata: " + e.getMessage());
            return 2;
        }
    }
}
