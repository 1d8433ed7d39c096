package io.strata.cli;

import io.strata.fuse.Mounter;
import java.io.PrintStream;
import java.nio.file.Path;

/** {@code strata umount [-l] MNT}: unmount; a mount whose daemon died is detached (it answers ENOTCONN). */
final class UmountCommand {
    private UmountCommand() {}

    static int run(String[] args, PrintStream out, PrintStream err) throws UsageException {
        boolean lazy = false;
        Path mp = null;
        for (String a : args) {
            switch (a) {
                case "-l", "--lazy" -> lazy = true;
                case "-h", "--help" -> {
                    out.println("usage: strata umount [-l] MNT");
                    return 0;
                }
                default -> {
                    if (mp != null) throw new UsageException("umount takes one mount point");
                    mp = Path.of(a).toAbsolutePath().normalize();
                }
            }
        }
        if (mp == null) throw new UsageException("usage: strata umount [-l] MNT");
        MountTable.Mount m = MountTable.find(mp);
        if (m == null || !m.type().startsWith("fuse")) {
            err.println("strata: " + mp + " is not a FUSE mount");
            return 1;
        }
        boolean dead = Mounter.isDead(mp);
        if (!Mounter.unmount(mp, !(lazy || dead))) {
            err.println("strata: cannot unmount " + mp + " (busy? close files using it, or use -l)");
            return 1;
        }
        if (dead) out.println("strata: " + mp + " had lost its daemon; detached it");
        return 0;
    }
}
