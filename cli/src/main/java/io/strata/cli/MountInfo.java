package io.strata.cli;

import java.util.LinkedHashMap;
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
 */
record MountInfo(long pid, String backend, String source, String cache, String log) {
    String encode() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("pid", Long.toString(pid));
        m.put("backend", backend);
        m.put("source", source);
        m.put("cache", cache);
        m.put("log", log);
        StringBuilder b = new StringBuilder();
        // values are single lines: a newline in a path would otherwise forge a key
        m.forEach((k, v) -> b.append(k).append('=').append(v.replace("\\", "\\\\").replace("\n", "\\n")).append('\n'));
        return b.toString();
    }

    static MountInfo decode(String text) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) m.put(line.substring(0, eq), unescape(line.substring(eq + 1)));
        }
        return new MountInfo(Long.parseLong(m.getOrDefault("pid", "-1")), m.getOrDefault("backend", "?"),
                m.getOrDefault("source", "?"), m.getOrDefault("cache", "?"), m.getOrDefault("log", "-"));
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
