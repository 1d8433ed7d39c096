package io.strata.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.strata.sys.Libc;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The daemon-log attack, reproduced: another user prepares the directory the log goes to (or a
 * symlink at the log's path) pointing at a file of the victim's; strata must refuse or log
 * somewhere safe, and the victim's file must stay as it was. "Another user" is nobody (65534),
 * which needs root to arrange: without root these tests are skipped.
 */
class LogFileSafetyTest {
    private static final int NOBODY = 65534;
    private final int me = Libc.getuid();
    private Path base, tmp, victim;
    private String victimBefore;

    @BeforeEach
    void setUp() throws Exception {
        assumeTrue(me == 0, "needs root to create files as another user (nobody)");
        base = Files.createTempDirectory(Path.of("/tmp"), "strata-cli-test");
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
        tmp = Files.createDirectory(base.resolve("tmp"));
        chmod(tmp, 01777); // like /tmp
        victim = Files.writeString(base.resolve("victim"), "precious data\n");
        victimBefore = fingerprint(victim);
    }

    @AfterEach
    void tearDown() throws Exception {
        if (base == null) return;
        try (Stream<Path> s = Files.walk(base)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    private static void chmod(Path p, int mode) throws IOException {
        Files.setAttribute(p, "unix:mode", mode);
    }

    private static void chown(Path p, int uid) throws IOException {
        Files.setAttribute(p, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(p, "unix:gid", uid, LinkOption.NOFOLLOW_LINKS);
    }

    private static String fingerprint(Path f) throws IOException {
        return Files.readString(f) + Files.getAttribute(f, "unix:mode") + ":" + Files.getAttribute(f, "unix:uid") + ":"
                + Files.getLastModifiedTime(f) + ":" + Files.getAttribute(f, "unix:ino");
    }

    private static int mode(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
    }

    private static int owner(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
    }

    /** What nobody can do in a sticky /tmp: a world-writable directory with a symlink to the victim. */
    private Path attackerDir(Path dir, String logName) throws IOException {
        Files.createDirectory(dir);
        chmod(dir, 0777);
        chown(dir, NOBODY);
        Path link = Files.createSymbolicLink(dir.resolve(logName), victim);
        chown(link, NOBODY);
        return link;
    }

    private void assertVictimUntouched() throws IOException {
        assertEquals(victimBefore, fingerprint(victim), "the victim file is untouched");
    }

    @Test
    void aPreparedTmpDirectoryIsPassedOverForOneOfOurOwn() throws Exception {
        String name = Daemon.logName(Path.of("/mnt/x"));
        Path link = attackerDir(tmp.resolve("strata-" + me), name);
        RuntimeDir rd = new RuntimeDir(Map.of(), me, base.resolve("no-run"), tmp);
        Path dir = rd.choose();
        assertNotEquals(link.getParent(), dir, "not the attacker's directory");
        assertEquals(tmp, dir.getParent());
        assertTrue(dir.getFileName().toString().startsWith("strata-" + me + "-"), dir.toString());
        assertEquals(me, owner(dir));
        assertEquals(0700, mode(dir));
        assertTrue(rd.skipped().toString().contains(link.getParent().toString()), rd.skipped().toString());
        LogFile.create(dir.resolve(name), me);
        Files.writeString(dir.resolve(name), "log line\n", java.nio.file.StandardOpenOption.APPEND);
        assertVictimUntouched();
        assertTrue(Files.isSymbolicLink(link), "the planted link is still just a link");
    }

    @Test
    void anXdgRuntimeDirOfAnotherUserIsIgnored() throws Exception {
        Path xdg = Files.createDirectory(base.resolve("xdg"));
        chmod(xdg, 0700);
        chown(xdg, NOBODY);
        Path run = Files.createDirectory(base.resolve("run"));
        RuntimeDir rd = new RuntimeDir(Map.of("XDG_RUNTIME_DIR", xdg.toString()), me, run, tmp);
        assertEquals(run.resolve("strata"), rd.choose(), "root falls through to /run/strata");
        assertFalse(Files.exists(xdg.resolve("strata")));
        assertTrue(rd.skipped().get(0).contains("belongs to uid " + NOBODY), rd.skipped().toString());
        assertEquals(0700, mode(run.resolve("strata")));
    }

    @Test
    void ourOwnXdgRuntimeDirIsUsedAndALooseOneIsNot() throws Exception {
        Path xdg = Files.createDirectory(base.resolve("xdg"));
        chmod(xdg, 0700);
        RuntimeDir rd = new RuntimeDir(Map.of("XDG_RUNTIME_DIR", xdg.toString()), me, base.resolve("no-run"), tmp);
        assertEquals(xdg.resolve("strata"), rd.choose());
        assertEquals(0700, mode(xdg.resolve("strata")));
        Path loose = Files.createDirectory(base.resolve("loose"));
        chmod(loose, 0777);
        RuntimeDir rd2 = new RuntimeDir(Map.of("XDG_RUNTIME_DIR", loose.toString()), me, base.resolve("no-run"), tmp);
        assertEquals(tmp.resolve("strata-" + me), rd2.choose(), "a world-writable XDG_RUNTIME_DIR is not private");
    }

    @Test
    void aSymlinkedStrataDirectoryIsNotFollowed() throws Exception {
        Path run = Files.createDirectory(base.resolve("run"));
        Path elsewhere = Files.createDirectory(base.resolve("elsewhere"));
        Files.createSymbolicLink(run.resolve("strata"), elsewhere);
        RuntimeDir rd = new RuntimeDir(Map.of(), me, run, tmp);
        Path dir = rd.choose();
        assertEquals(tmp.resolve("strata-" + me), dir);
        assertTrue(rd.skipped().toString().contains("symbolic link"), rd.skipped().toString());
    }

    @Test
    void ourOldLooseDirectoryIsTightened() throws Exception {
        Path old = Files.createDirectory(tmp.resolve("strata-" + me)); // as older strata versions made it
        chmod(old, 0755);
        assertEquals(old, new RuntimeDir(Map.of(), me, base.resolve("no-run"), tmp).choose());
        assertEquals(0700, mode(old));
    }

    @Test
    void aSymlinkAtTheLogPathIsRefused() throws Exception {
        Path dir = Files.createDirectory(base.resolve("logs"));
        Path link = Files.createSymbolicLink(dir.resolve("m.log"), victim);
        LogFile.UnsafeLogException e = assertThrows(LogFile.UnsafeLogException.class, () -> LogFile.create(link, me));
        assertTrue(e.getMessage().contains("symbolic link") && e.getMessage().contains(victim.toString()), e.getMessage());
        assertVictimUntouched();
        assertTrue(Files.isSymbolicLink(link));
    }

    @Test
    void anotherUsersFileAtTheLogPathIsRefused() throws Exception {
        Path dir = Files.createDirectory(base.resolve("logs"));
        Path theirs = Files.writeString(dir.resolve("m.log"), "theirs\n");
        chown(theirs, NOBODY);
        LogFile.UnsafeLogException e = assertThrows(LogFile.UnsafeLogException.class, () -> LogFile.create(theirs, me));
        assertTrue(e.getMessage().contains("belongs to uid " + NOBODY), e.getMessage());
        assertEquals("theirs\n", Files.readString(theirs));
    }

    @Test
    void ourOldLogIsReplacedNotWrittenThroughAHardLink() throws Exception {
        Path dir = Files.createDirectory(base.resolve("logs"));
        Path log = Files.createLink(dir.resolve("m.log"), victim); // a hard link to a file we own
        LogFile.create(log, me);
        assertVictimUntouched();
        assertEquals(0, Files.size(log), "a new, empty log");
        assertNotEquals(Files.getAttribute(victim, "unix:ino"), Files.getAttribute(log, "unix:ino"));
        assertEquals(0600, mode(log));
    }

    @Test
    void aWorldWritableDirectoryWithoutStickyBitIsRefused() throws Exception {
        Path open = Files.createDirectory(base.resolve("open"));
        chmod(open, 0777);
        assertThrows(LogFile.UnsafeLogException.class, () -> LogFile.create(open.resolve("m.log"), me));
        LogFile.create(tmp.resolve("m.log"), me); // sticky like /tmp: others cannot replace our file
        assertTrue(Files.isRegularFile(tmp.resolve("m.log"), LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void strataMountRefusesAPlantedLogAndMountsNothing() throws Exception {
        Path mnt = Files.createDirectory(base.resolve("mnt"));
        Path link = attackerDir(base.resolve("attack"), "m.log");
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int rc = Main.run(new String[] {"mount", "memory", mnt.toString(), "--log", link.toString()},
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        String said = err.toString(StandardCharsets.UTF_8);
        assertEquals(1, rc, said);
        assertTrue(said.contains(link.getParent().toString()), "the refusal names the unsafe place: " + said);
        assertVictimUntouched();
        assertTrue(Files.isSymbolicLink(link));
        assertFalse(Files.readString(Path.of("/proc/self/mounts")).contains(mnt.toString()), "nothing mounted");
    }
}
