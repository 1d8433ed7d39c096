package io.strata.it;

import static io.strata.it.Sh.q;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.fuse.Mounter;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The daemon-log attack: a local user (nobody) prepares the directory the daemon log goes to, with
 * a symlink at the log's name pointing at a file of the victim's; then the victim (root here) runs
 * {@code strata mount}. The mount must either refuse with a message naming the problem, or log to
 * a private place (a 0700 directory of root's, a 0600 regular file); and the victim's file must
 * stay byte-identical (content, mode, owner, size, mtime).
 *
 * <p>Attacked: the old location ({@code /tmp/strata-0}), the new one for root ({@code /run/strata},
 * which nobody cannot really create; made here by root on the attacker's behalf to test that
 * strata checks who owns it), both at once, an {@code XDG_RUNTIME_DIR} that is not root's, and an
 * explicit {@code --log} path that is a planted symlink. The test sets aside and restores any real
 * {@code /run/strata} or {@code /tmp/strata-0}.
 */
@Tag(Privileges.TAG)
class LogFileAttackTest {
    private static final String STRATA = Launcher.STRATA;
    private static final String NOBODY = "setpriv --reuid=65534 --regid=65534 --clear-groups ";
    private static final Path OLD = Path.of("/tmp/strata-0"), RUN = Path.of("/run/strata");
    private static final Pattern LOG = Pattern.compile("log (/\\S+)\\)");

    @BeforeEach
    void privileges() {
        Privileges.assumeRootAndFuse();
    }

    /** Content, mode, owner, size and mtime of a file, to compare before and after. */
    private static String fingerprint(Path f) throws Exception {
        return Sh.ok("stat -c '%a %u:%g %s %Y' " + q(f) + " && sha256sum < " + q(f));
    }

    private static String logName(Path mnt) {
        return mnt.toString().replace('/', '_') + ".log";
    }

    /**
     * Plants, as nobody, a world-writable directory at each of {@code attackDirs} holding a symlink
     * at the log's name to a victim file, and runs {@code env strata mount memory MNT args}.
     */
    private static void attack(List<Path> attackDirs, String env, String args) throws Exception {
        Path victimDir = Files.createTempDirectory(Path.of("/tmp"), "strata-it-victim");
        Path victim = victimDir.resolve("victim");
        Files.writeString(victim, "precious data\n");
        Sh.ok("chmod 755 " + q(victimDir) + " && chmod 644 " + q(victim) + " && touch -d @1000000000 " + q(victim));
        String before = fingerprint(victim);
        Path mnt = Files.createTempDirectory(Path.of("/tmp"), Mounted.PREFIX + "log");
        Map<Path, Path> saved = new LinkedHashMap<>();
        List<Path> links = new ArrayList<>();
        Path usedLog = null;
        try {
            for (Path d : List.of(OLD, RUN)) {
                if (!Files.exists(d, LinkOption.NOFOLLOW_LINKS)) continue;
                // left by an earlier (honest) run: set aside for the test, restored after
                Path aside = d.resolveSibling(d.getFileName() + ".saved-by-strata-it");
                Sh.ok("rm -rf " + q(aside) + " && mv " + q(d) + " " + q(aside));
                saved.put(d, aside);
            }
            for (Path d : attackDirs) {
                Path link = d.resolve(logName(mnt));
                // nobody may not create in /run: root makes the directory and hands it over.
                if (d.startsWith("/run")) Sh.ok("mkdir -m 777 " + q(d) + " && chown 65534:65534 " + q(d));
                else Sh.ok(NOBODY + "mkdir -m 777 " + q(d));
                Sh.ok(NOBODY + "ln -s " + q(victim) + " " + q(link));
                assertEquals("65534", Sh.ok("stat -c %u " + q(link.getParent())).trim(), "the attacker owns " + d);
                links.add(link);
            }
            Sh m = Sh.run(env + STRATA + " mount memory " + q(mnt) + " -o size=16M " + args, null, 120);
            if (m.code() == 0) {
                assertTrue(Mounted.isMounted(mnt), m.out());
                Matcher lm = LOG.matcher(m.out());
                assertTrue(lm.find(), "strata says where it logs: " + m.out());
                usedLog = Path.of(lm.group(1));
                Sh.ok("echo hello > " + q(mnt.resolve("f")) + " && cat " + q(mnt.resolve("f")));
                Sh u = Sh.run(STRATA + " umount " + q(mnt), null, 60);
                assertEquals(0, u.code(), u.out());
                // A private log: a regular 0600 file of root's in a 0700 directory of root's.
                assertFalse(Files.isSymbolicLink(usedLog), usedLog + " is not a link");
                assertEquals("600 0 regular file", Sh.ok("stat -c '%a %u %F' " + q(usedLog)).trim(), usedLog.toString());
                assertEquals("700 0 directory", Sh.ok("stat -c '%a %u %F' " + q(usedLog.getParent())).trim(),
                        usedLog.getParent().toString());
                for (Path d : attackDirs) assertFalse(usedLog.startsWith(d), "not in the attacker's " + d + ": " + usedLog);
                assertTrue(Files.readString(usedLog).contains("mounted at " + mnt), "the log is the daemon's: " + usedLog);
            } else {
                assertFalse(Mounted.isMounted(mnt), "refused, so nothing mounted: " + m.out());
                assertTrue(m.out().contains("refusing"), "a refusal that says why: " + m.out());
            }
            assertEquals(before, fingerprint(victim), "the victim file is untouched; strata said:\n" + m.out());
            for (Path link : links) assertTrue(Files.isSymbolicLink(link), "the planted link is still just a link: " + link);
        } finally {
            if (Mounted.isMounted(mnt)) Mounter.unmount(mnt, false);
            Sh.rm(mnt);
            for (Path d : attackDirs) Sh.rm(d);
            if (usedLog != null) {
                // the private directory strata made for this mount: /run/strata, /tmp/strata-0 or a fresh /tmp/strata-0-XXXX
                Path made = usedLog.getParent();
                if (made.equals(RUN) || made.equals(OLD) || made.getFileName().toString().startsWith("strata-0-")) Sh.rm(made);
            }
            for (var e : saved.entrySet()) Sh.run("rm -rf " + q(e.getKey()) + " && mv " + q(e.getValue()) + " " + q(e.getKey()));
            Sh.rm(victimDir);
        }
    }

    /** Where the daemon log used to go: java.io.tmpdir/strata-UID/<mount point, '/' as '_'>.log. */
    @Test
    void oldTmpLocation() throws Exception {
        attack(List.of(OLD), "", "");
    }

    /** Root's runtime directory, prepared by someone else. */
    @Test
    void runStrataOwnedBySomeoneElse() throws Exception {
        attack(List.of(RUN), "", "");
    }

    /** Both: strata must not fall back from the bad /run/strata to the bad /tmp/strata-0. */
    @Test
    void bothLocationsPrepared() throws Exception {
        attack(List.of(RUN, OLD), "", "");
    }

    /** Anyone can set XDG_RUNTIME_DIR: one that is not root's own is not trusted. */
    @Test
    void foreignXdgRuntimeDir() throws Exception {
        Path xdg = Files.createTempDirectory(Path.of("/tmp"), "strata-it-xdg");
        try {
            Sh.ok("chown 65534:65534 " + q(xdg) + " && chmod 700 " + q(xdg));
            Path strataDir = xdg.resolve("strata");
            attack(List.of(strataDir), "XDG_RUNTIME_DIR=" + q(xdg) + " ", "");
        } finally {
            Sh.rm(xdg);
        }
    }

    /** An explicit --log that is a planted symlink in /tmp is refused, not followed. */
    @Test
    void explicitLogPathThatIsASymlink() throws Exception {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "strata-it-logdir");
        Path victim = dir.resolve("victim");
        Path mnt = Files.createTempDirectory(Path.of("/tmp"), Mounted.PREFIX + "log");
        Path link = Path.of("/tmp", "strata-it-planted-" + ProcessHandle.current().pid() + ".log");
        try {
            Files.writeString(victim, "precious data\n");
            Sh.ok("chmod 755 " + q(dir) + " && chmod 644 " + q(victim));
            String before = fingerprint(victim);
            Sh.ok(NOBODY + "ln -s " + q(victim) + " " + q(link));
            Sh m = Sh.run(STRATA + " mount memory " + q(mnt) + " --log " + q(link), null, 120);
            assertEquals(1, m.code(), m.out());
            assertFalse(Mounted.isMounted(mnt), m.out());
            assertTrue(m.out().contains("refusing") && m.out().contains(link.toString()), "says why: " + m.out());
            assertEquals(before, fingerprint(victim));
            assertNotNull(Files.readSymbolicLink(link));
        } finally {
            if (Mounted.isMounted(mnt)) Mounter.unmount(mnt, false);
            Files.deleteIfExists(link);
            Sh.rm(mnt);
            Sh.rm(dir);
        }
    }
}
