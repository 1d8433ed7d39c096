package io.strata.ninep;

import io.strata.core.Caller;
import io.strata.core.Groups;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * Who a uid is on this host: its primary gid and supplementary groups, read from passwd(5) and
 * group(5) files in plain Java (no NSS, so LDAP users are unknown: they get the fallback gid and no
 * groups). Read on every {@link #caller} call: attaches are rare, and edits to the files take effect
 * for the next attach. A uid without a passwd line gets {@code fallbackGid} (never its own number as
 * a gid, which could match an unrelated group).
 */
public final class Identities {
    private final Path passwd, group;
    private final int fallbackGid;

    public Identities(Path passwd, Path group, int fallbackGid) {
        this.passwd = passwd;
        this.group = group;
        this.fallbackGid = fallbackGid;
    }

    public static Identities host() {
        return new Identities(Path.of("/etc/passwd"), Path.of("/etc/group"), 65534);
    }

    private List<String[]> rows(Path p) {
        List<String[]> out = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(p, StandardCharsets.UTF_8)) {
                if (line.isBlank() || line.startsWith("#")) continue;
                out.add(line.split(":", -1));
            }
        } catch (IOException | RuntimeException e) {
            // unreadable: nobody is known
        }
        return out;
    }

    /** The uid of user {@code name}, if passwd has it (for attaches without n_uname). */
    public OptionalInt uidOf(String name) {
        for (String[] r : rows(passwd)) {
            if (r.length >= 4 && r[0].equals(name)) {
                try {
                    return OptionalInt.of(Integer.parseInt(r[2]));
                } catch (NumberFormatException e) {
                    return OptionalInt.empty();
                }
            }
        }
        return OptionalInt.empty();
    }

    /** A Caller for {@code uid}, with its primary gid and supplementary groups. */
    public Caller caller(int uid) {
        String user = null;
        int gid = fallbackGid;
        for (String[] r : rows(passwd)) {
            if (r.length >= 4 && r[2].equals(Integer.toString(uid))) {
                user = r[0];
                try {
                    gid = Integer.parseInt(r[3]);
                } catch (NumberFormatException e) {
                    gid = fallbackGid;
                }
                break;
            }
        }
        List<Integer> groups = new ArrayList<>();
        if (user != null) {
            Map<String, Integer> seen = new HashMap<>();
            for (String[] r : rows(group)) {
                if (r.length < 4 || r[3].isEmpty()) continue;
                for (String member : r[3].split(",")) {
                    if (member.trim().equals(user)) {
                        try {
                            seen.putIfAbsent(r[0], Integer.parseInt(r[2]));
                        } catch (NumberFormatException ignored) {
                            // a broken line grants nothing
                        }
                    }
                }
            }
            groups.addAll(seen.values());
        }
        return new Caller(uid, gid, 0, Groups.of(groups.stream().mapToInt(Integer::intValue).toArray()));
    }
}
