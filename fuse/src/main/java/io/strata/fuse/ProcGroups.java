package io.strata.fuse;

import io.strata.core.Groups;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The supplementary groups of the process behind one FUSE request, read from the "Groups:" line of
 * {@code /proc/<pid>/status} the first time a permission decision needs them, and kept for that
 * request only (a process may change its groups between two requests).
 *
 * <p>What the kernel can send instead: nothing for most requests. {@code fuse_in_header} carries
 * only the fsuid, fsgid and pid. The FUSE_CREATE_SUPP_GROUP extension (protocol 7.38) adds, to
 * CREATE, MKDIR, MKNOD, SYMLINK and TMPFILE only, at most one group: the parent directory's group,
 * sent when the caller is in it and it is not the caller's fsgid. That answers exactly the
 * membership question a create asks (the group class of the parent, and whether a set-group-id bit
 * survives in a set-group-id directory), and it works where /proc cannot help (pid 0: the caller is
 * in another pid namespace). It says nothing for OPEN, SETATTR (chgrp to a supplementary group),
 * UNLINK, RENAME, xattrs or ACCESS, so /proc remains the source for those. We negotiate the
 * extension and use its group before falling back to /proc.
 *
 * <p>Limits: pid 0 or an unreadable status file (the process already exited, hidepid=) mean "no
 * supplementary groups", which can only refuse, never grant, access. The pid names the requesting
 * thread; the kernel holds that thread in the syscall until we reply, so the pid is not reused
 * while the request is served unless the thread is killed meanwhile (then its request is void).
 */
final class ProcGroups implements Groups {
    private final int pid;
    private final int known; // a group the kernel vouched for (FUSE_CREATE_SUPP_GROUP), or -1
    private int[] groups;    // sorted; null until resolved (one request = one thread: no locking)

    ProcGroups(int pid, int known) {
        this.pid = pid;
        this.known = known;
    }

    @Override
    public boolean contains(int gid) {
        if (known != -1 && gid == known) return true;
        return Arrays.binarySearch(resolve(), gid) >= 0;
    }

    @Override
    public int[] toArray() {
        int[] g = resolve();
        if (known != -1 && Arrays.binarySearch(g, known) < 0) {
            g = Arrays.copyOf(g, g.length + 1);
            g[g.length - 1] = known;
            Arrays.sort(g);
            return g;
        }
        return g.clone();
    }

    private int[] resolve() {
        int[] g = groups;
        if (g == null) {
            g = pid <= 0 ? new int[0] : read(Path.of("/proc", Integer.toString(pid), "status"));
            groups = g;
        }
        return g;
    }

    /** Parses the "Groups:" line of a status file; no line or no file: none. */
    static int[] read(Path status) {
        byte[] b;
        try {
            b = Files.readAllBytes(status);
        } catch (IOException | SecurityException e) {
            return new int[0];
        }
        return parse(b);
    }

    static int[] parse(byte[] b) {
        byte[] key = {'G', 'r', 'o', 'u', 'p', 's', ':'};
        for (int line = 0; line < b.length; ) {
            int end = line;
            while (end < b.length && b[end] != '\n') end++;
            if (end - line >= key.length && Arrays.equals(b, line, line + key.length, key, 0, key.length)) {
                return numbers(b, line + key.length, end);
            }
            line = end + 1;
        }
        return new int[0];
    }

    private static int[] numbers(byte[] b, int from, int to) {
        int[] out = new int[8];
        int n = 0;
        long v = -1;
        for (int i = from; i <= to; i++) {
            byte c = i < to ? b[i] : (byte) ' ';
            if (c >= '0' && c <= '9') {
                v = (v < 0 ? 0 : v * 10) + (c - '0');
                if (v > 0xFFFF_FFFFL) return new int[0]; // not a gid: distrust the whole line
            } else if (v >= 0) {
                if (n == out.length) out = Arrays.copyOf(out, n * 2);
                out[n++] = (int) v;
                v = -1;
            }
        }
        int[] g = Arrays.copyOf(out, n);
        Arrays.sort(g);
        return g;
    }

    @Override
    public String toString() {
        String k = known != -1 ? " +" + known : "";
        return (groups == null ? "(pid " + pid + ", unresolved)" : Arrays.toString(groups)) + k;
    }
}
