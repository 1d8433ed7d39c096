package io.strata.it;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What the mounting suites need from the machine. Classes that call {@link #assumeRootAndFuse} are
 * tagged {@value #TAG}, so a run without root can exclude them (-DexcludedGroups=root); run anyway,
 * they skip with a one-line reason.
 */
final class Privileges {
    static final String TAG = "root";

    private Privileges() {}

    static void assumeRootAndFuse() {
        assumeTrue(isRoot(), "needs root: mounts and acts as other users");
        assumeTrue(Files.exists(Path.of("/dev/fuse")), "needs /dev/fuse");
    }

    /** Effective uid 0, read from /proc (the JDK has no portable getuid). */
    static boolean isRoot() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (l.startsWith("Uid:")) return l.split("\\s+")[2].equals("0");
            }
        } catch (IOException noProc) {
            // not Linux: no mounts either
        }
        return false;
    }
}
