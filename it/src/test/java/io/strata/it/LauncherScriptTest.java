package io.strata.it;

import static io.strata.it.Sh.q;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The `strata` launcher as a new user meets it: it builds when there is no build or the sources
 * changed since the last one, says what to install when Maven is missing, and relays the build's
 * output without terminal escape codes. Runs on a copy of the launcher in a scratch tree, with a
 * stand-in `mvn` on a PATH of our own, so no real build happens.
 */
class LauncherScriptTest {
    private Path tree, bin;

    @BeforeEach
    void copyLauncher() throws Exception {
        tree = Files.createTempDirectory(Path.of("/tmp"), "strata-launcher");
        Files.createDirectories(tree.resolve("scripts"));
        for (String f : List.of("strata", "dev", "scripts/find-jdk.sh")) {
            Files.copy(Launcher.REPO.resolve(f), tree.resolve(f));
        }
        Files.createDirectories(tree.resolve("core/src/main/java"));
        Files.writeString(tree.resolve("core/src/main/java/A.java"), "class A {}\n");
        Files.writeString(tree.resolve("pom.xml"), "<project/>\n");
        // a PATH with the tools the scripts use, and no mvn unless a test adds one
        bin = tree.resolve("bin");
        Files.createDirectories(bin);
        for (String t : List.of("bash", "env", "sed", "find", "dirname", "readlink", "cat", "touch", "head", "sh", "mkdir")) {
            String where = Sh.ok("command -v " + t).trim();
            Files.createSymbolicLink(bin.resolve(t), Path.of(where));
        }
    }

    @AfterEach
    void cleanup() {
        Sh.rm(tree);
    }

    private Sh launch() throws Exception {
        return Sh.run("env -i PATH=" + q(bin) + " HOME=/tmp " + q(tree.resolve("strata")) + " --version 2>&1", null, 60);
    }

    /** A stand-in for Maven: records that it ran, prints a colour reset as Debian's Maven 3.8 does, makes the jar. */
    private void fakeMaven() throws Exception {
        Path mvn = bin.resolve("mvn");
        Files.writeString(mvn, "#!/bin/sh\necho ran >> " + q(tree.resolve("mvn-ran")) + "\nprintf '\\033[0m\\033[0mbuilt\\n'\n"
                + "mkdir -p " + q(tree.resolve("cli/target/modules")) + " && touch " + q(tree.resolve("cli/target/modules/strata-cli.jar")) + "\n");
        Sh.ok("chmod 755 " + q(mvn));
    }

    private int mavenRuns() throws Exception {
        Path f = tree.resolve("mvn-ran");
        return Files.exists(f) ? Files.readAllLines(f).size() : 0;
    }

    @Test
    void withoutMavenItSaysWhatToInstall() throws Exception {
        Sh r = launch();
        assertEquals(1, r.code(), r.out());
        assertTrue(r.out().contains("first run") && r.out().contains("Maven (mvn) is not installed")
                && r.out().contains("apt-get install maven"), r.out());
    }

    @Test
    void buildsOnFirstUseAndAgainOnlyWhenSourcesChanged() throws Exception {
        fakeMaven();
        Sh first = launch();
        assertEquals(1, mavenRuns(), first.out());
        assertTrue(first.out().contains("first run, building"), first.out());
        assertTrue(first.out().contains("built"), "the build's output is relayed: " + first.out());
        assertFalse(first.out().contains("\u001b"), "no raw terminal escape codes: " + first.out().replace("\u001b", "ESC"));

        launch();
        assertEquals(1, mavenRuns(), "nothing changed: no rebuild");

        Path src = tree.resolve("core/src/main/java/A.java");
        Files.writeString(src, "class A { int x; }\n");
        Files.setLastModifiedTime(src, FileTime.fromMillis(System.currentTimeMillis() + 5_000));
        Sh stale = launch();
        assertEquals(2, mavenRuns(), stale.out());
        assertTrue(stale.out().contains("sources changed since the last build"), stale.out());
    }
}
