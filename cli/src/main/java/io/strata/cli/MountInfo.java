package io.strata.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a daemon says about its mount, for {@code strata list}: written into its mount lock file
 * (see {@link MountLock#take}) as {@code key=value} lines.
 *
 * @param pid     the daemon's pid (the lock's holder, so a stale file is recognised)
 * @param backend memory, passthrough, ext2 or union, with " +verity" when stacked
 * @param source  the source as given (a directory, an image, the lower layers), or "-"
 * @param cache   the cache mode
 * @param log     the daemon's log file, or "-" in the foreground
 * @param notes   what the user must hear at mount time (a read-only fallback and its reason)
 */
record MountInfo(long pid, String backend, String source, String cache, String log, List<String> notes) {
    MountInfo {
        notes = List.copyOf(notes);
    }

    MountInfo(long pid, String backend, String source, String cache, String log) {
        this(pid, backend, source, cache, log, List.of());
    }

    MountInfo withNote(String note) {
        List<String> n = new java.util.ArrayList<>(notes);
        n.add(note);
        return new MountInfo(pid, backend, source, cache, log, n);
    }

    String encode() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("pid", Long.toString(pid));
        m.put("backend", backend);
        m.put("source", source);
        m.put("cache", cache);
        m.put("log", log);
        StringBuilder b = new StringBuilder();
        // values are single lines: a newline in a path would otherwise forge a key
        m.forEach((k, v) -> b.append(k).append('=').append(escape(v)).append('\n'));
        for (String n : notes) b.append("note=").append(escape(n)).append('\n');
        return b.toString();
    }

    private static String escape(String v) {
        return v.replace("\\", "\\\\").replace("\n", "\\n");
    }

    static MountInfo decode(String text) {
        Map<String, String> m = new LinkedHashMap<>();
        List<String> notes = new java.util.ArrayList<>();
        for (String line : text.split("\n")) {
            int eq = line.indexOf('=');
            if (eq <= 0) continue;
            if (line.startsWith("note=")) notes.add(unescape(line.substring(eq + 1)));
            else m.put(line.substring(0, eq), unescape(line.substring(eq + 1)));
        }
        return new MountInfo(Long.parseLong(m.getOrDefault("pid", "-1")), m.getOrDefault("backend", "?"),
                m.getOrDefault("source", "?"), m.getOrDefault("cache", "?"), m.getOrDefault("log", "-"), notes);
    }

    private static String unescape(String v) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c == '\\' && i + 1 < v.length()) {
                char n = v.charAt(++i);
                b.append(n == 'n' ? '\n' : n);
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
