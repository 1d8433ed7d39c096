package io.strata.cli;

import io.strata.sys.Libc;
import java.util.Map;
import java.util.Set;

/**
 * The generic mount options of mount(8), as they reach a FUSE program from fstab, systemd or
 * {@code mount -t fuse.strata} (mount.fuse3 adds {@code dev,suid} for root). The VFS flags among
 * them go to the mount; the ones meant for mount(8) or systemd themselves are accepted and
 * ignored, as fuse-overlayfs and sshfs do.
 */
final class Generic {
    private Generic() {}

    static final String KNOWN = "defaults, auto, noauto, user, nouser, users, owner, group, nofail, _netdev, "
            + "async, x-*, comment=, suid, nosuid, dev, nodev, exec, noexec, atime, noatime, diratime, "
            + "nodiratime, relatime, norelatime, strictatime, lazytime, nolazytime, sync, dirsync, "
            + "symfollow, nosymfollow";

    /** mount(8) or systemd use these; they mean nothing to the daemon. */
    private static final Set<String> IGNORED = Set.of("defaults", "auto", "noauto", "user", "nouser", "users",
            "owner", "group", "nofail", "_netdev", "async", "comment", "nostrictatime");

    /** Option -> {flags to clear, flags to set}. */
    private static final Map<String, long[]> FLAGS = Map.ofEntries(
            Map.entry("suid", new long[] {Libc.MS_NOSUID, 0}),
            Map.entry("nosuid", new long[] {0, Libc.MS_NOSUID}),
            Map.entry("dev", new long[] {Libc.MS_NODEV, 0}),
            Map.entry("nodev", new long[] {0, Libc.MS_NODEV}),
            Map.entry("exec", new long[] {Libc.MS_NOEXEC, 0}),
            Map.entry("noexec", new long[] {0, Libc.MS_NOEXEC}),
            Map.entry("atime", new long[] {Libc.MS_NOATIME, 0}),
            Map.entry("noatime", new long[] {Libc.MS_RELATIME | Libc.MS_STRICTATIME, Libc.MS_NOATIME}),
            Map.entry("diratime", new long[] {Libc.MS_NODIRATIME, 0}),
            Map.entry("nodiratime", new long[] {0, Libc.MS_NODIRATIME}),
            Map.entry("relatime", new long[] {Libc.MS_NOATIME | Libc.MS_STRICTATIME, Libc.MS_RELATIME}),
            Map.entry("norelatime", new long[] {Libc.MS_RELATIME, 0}),
            Map.entry("strictatime", new long[] {Libc.MS_NOATIME | Libc.MS_RELATIME, Libc.MS_STRICTATIME}),
            Map.entry("lazytime", new long[] {0, Libc.MS_LAZYTIME}),
            Map.entry("nolazytime", new long[] {Libc.MS_LAZYTIME, 0}),
            Map.entry("sync", new long[] {0, Libc.MS_SYNCHRONOUS}),
            Map.entry("dirsync", new long[] {0, Libc.MS_DIRSYNC}),
            Map.entry("symfollow", new long[] {Libc.MS_NOSYMFOLLOW, 0}),
            Map.entry("nosymfollow", new long[] {0, Libc.MS_NOSYMFOLLOW}));

    static boolean ignored(String key) {
        return IGNORED.contains(key) || key.startsWith("x-");
    }

    /** {clear, set} for a VFS flag option, or null. */
    static long[] flag(String key) {
        return FLAGS.get(key);
    }
}
