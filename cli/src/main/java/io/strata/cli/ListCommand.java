package io.strata.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code strata list}: the Strata mounts (type fuse.strata in the mount table) with what their
 * daemons said about themselves ({@link MountInfo}). Mounts of other users' daemons show only
 * what the mount table knows; a mount whose daemon died is marked so, with the command that
 * clears it.
 */
final class ListCommand {
    private ListCommand() {}

    static int run(String[] args, PrintStream out, PrintStream err) throws UsageException {
        for (String a : args) {
            if (a.equals("-h") || a.equals("--help")) {
                out.println("usage: strata list      the Strata mounts: mount point, backend, source, cache mode, daemon pid, log");
                return 0;
            }
            throw new UsageException("list takes no arguments (got '" + a + "')");
        }
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"MOUNT", "BACKEND", "SOURCE", "CACHE", "PID", "LOG"});
        for (MountTable.Mount m : MountTable.all()) {
            if (!m.type().equals("fuse.strata")) continue;
            if (io.strata.fuse.Mounter.isDead(m.target())) {
                rows.add(new String[] {m.target().toString(), "?", m.source(), "?", "dead", "clear it: strata umount " + m.target()});
                continue;
            }
            Optional<MountInfo> info = MountLock.info(m.target());
            if (info.isPresent()) {
                MountInfo i = info.get();
                rows.add(new String[] {m.target().toString(), i.backend(), i.source(), i.cache(), Long.toString(i.pid()), i.log()});
            } else {
                // another user's daemon (its runtime dir is private), or one from an older strata
                rows.add(new String[] {m.target().toString(), "?", m.source(), "?", "?", "-"});
            }
        }
        if (rows.size() == 1) {
            out.println("no Strata mounts");
            return 0;
        }
        int[] w = new int[rows.get(0).length];
        for (String[] r : rows) for (int c = 0; c < r.length - 1; c++) w[c] = Math.max(w[c], r[c].length());
        for (String[] r : rows) {
            StringBuilder b = new StringBuilder();
            for (int c = 0; c < r.length; c++) {
                b.append(r[c]);
                if (c < r.length - 1) b.append(" ".repeat(w[c] - r[c].length() + 2));
            }
            out.println(b.toString().stripTrailing());
        }
        return 0;
    }
}
