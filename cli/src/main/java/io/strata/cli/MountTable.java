package io.strata.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Reads /proc/self/mounts. */
final class MountTable {
    private MountTable() {}

    record Mount(String source, Path target, String type, String options) {}

    static Mount find(Path target) {
        Mount found = null;
        for (Mount m : all()) if (m.target.equals(target)) found = m; // the last one is on top
        return found;
    }

    static List<Mount> all() {
        try {
            return Files.readAllLines(Path.of("/proc/self/mounts")).stream().map(l -> l.split(" "))
                    .filter(p -> p.length >= 4)
                    .map(p -> new Mount(unescape(p[0]), Path.of(unescape(p[1])), p[2], p[3])).toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /** /proc/mounts escapes space, tab, newline and backslash as \ooo. */
    static String unescape(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length()) {
                try {
                    b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                    i += 3;
                    continue;
                } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
                    // not an escape: keep the backslash
                }
            }
            b.append(c);
        }
        return b.toString();
    }
}
