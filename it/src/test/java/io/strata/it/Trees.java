package io.strata.it;

import static io.strata.it.Sh.q;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The reference tree the real-program tests use: /usr/include + /usr/share/perl (about 9,000
 * files), plus hard links, symlinks, odd modes, nanosecond times and user xattrs, packed once per
 * JVM into a tarball.
 */
final class Trees {
    private Trees() {}

    private static Path src;
    private static Path tarball;

    static synchronized Path source() throws IOException, InterruptedException {
        if (src == null) {
            Path base = Files.createTempDirectory(Path.of("/tmp"), "strata-it-tree-");
            Path s = base.resolve("tree");
            Files.createDirectories(s);
            Sh.ok("cp -a /usr/include " + q(s) + "/include && cp -a /usr/share/perl " + q(s) + "/perl");
            Sh.ok("cd " + q(s) + " && mkdir extra && echo one > extra/a && ln extra/a extra/a-link1 && ln extra/a extra/a-link2"
                    + " && ln -s ../include/stdio.h extra/sym && chmod 4711 extra/a && mkdir -m 1777 extra/sticky"
                    + " && echo x > extra/xattr && setfattr -n user.color -v blue extra/xattr"
                    + " && setfattr -n user.bin -v 0x00ff10 extra/xattr && setfattr -n user.dir -v yes extra"
                    + " && touch -d '2001-02-03 04:05:06.123456789' extra/xattr && truncate -s 5M extra/sparse"
                    + " && printf end >> extra/sparse && mkfifo extra/fifo");
            Path t = base.resolve("tree.tar");
            Sh.ok("tar --xattrs --xattrs-include='user.*' --format=posix -C " + q(s) + " -cf " + q(t) + " .");
            src = s;
            tarball = t;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    Sh.run("rm -rf " + q(base));
                } catch (Exception ignored) {
                    // best effort
                }
            }));
        }
        return src;
    }

    static Path tarball() throws IOException, InterruptedException {
        source();
        return tarball;
    }

    /** Every entry's type, mode, size (not of directories), link count, mtime (ns) and symlink target, sorted. */
    static String listing(Path dir) throws IOException, InterruptedException {
        // Directory sizes are file-system specific (ext4 grows them in blocks), so they are left out.
        return Sh.ok("cd " + q(dir) + " && find . -mindepth 1 \\( -type d -printf '%P %y %m - %n %T@\\n' \\)"
                + " -o -printf '%P %y %m %s %n %T@ %l\\n' | LC_ALL=C sort");
    }

    /** Equal listings, or a failure that shows only the lines that differ. */
    static void assertSame(String expected, String actual, String what) {
        if (expected.equals(actual)) return;
        java.util.List<String> e = java.util.List.of(expected.split("\n")), a = java.util.List.of(actual.split("\n"));
        java.util.Set<String> es = new java.util.HashSet<>(e), as = new java.util.HashSet<>(a);
        StringBuilder b = new StringBuilder(what + ": listings differ\n");
        e.stream().filter(l -> !as.contains(l)).limit(15).forEach(l -> b.append("- ").append(l).append('\n'));
        a.stream().filter(l -> !es.contains(l)).limit(15).forEach(l -> b.append("+ ").append(l).append('\n'));
        org.junit.jupiter.api.Assertions.fail(b.toString());
    }

    /** Every user.* xattr of the tree. */
    static String xattrs(Path dir) throws IOException, InterruptedException {
        return Sh.ok("cd " + q(dir) + " && getfattr -R -h -d -m '^user\\.' -e hex . 2>/dev/null | LC_ALL=C sort");
    }

    /** Hard-link groups: inode-sharing names, with the inode numbers themselves left out. */
    static String linkGroups(Path dir) throws IOException, InterruptedException {
        return Sh.ok("cd " + q(dir) + " && find . -type f -links +1 -printf '%i %P\\n' | sort -n"
                + " | awk '{g[$1]=g[$1]\" \"$2} END{for(i in g) print g[i]}' | LC_ALL=C sort");
    }
}
