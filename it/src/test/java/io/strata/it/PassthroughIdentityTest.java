package io.strata.it;

import static io.strata.it.Sh.q;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.core.CacheMode;
import io.strata.passthrough.PassthroughFileSystem;
import io.strata.passthrough.PassthroughOptions;
import io.strata.passthrough.PassthroughOptions.Handles;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A source tree that spans file systems: the host's (file handles work), a tmpfs mounted below it
 * (handles work, another mount id) and a procfs (no file handles at all).
 */
class PassthroughIdentityTest {
    @ParameterizedTest
    @EnumSource(value = Handles.class, names = {"NEVER", "PREFER"})
    void mixedFileSystemsBelowTheSource(Handles handles) throws Exception {
        Path src = Files.createTempDirectory(Path.of("/tmp"), "strata-it-src");
        Path tmp = src.resolve("tmp"), proc = src.resolve("proc");
        Files.createDirectories(tmp);
        Files.createDirectories(proc);
        Sh.ok("mount -t tmpfs -o size=16m tmpfs " + q(tmp) + " && mount -t proc proc " + q(proc));
        try {
            Sh.ok("echo host > " + q(src.resolve("h")) + " && ln " + q(src.resolve("h")) + " " + q(src.resolve("h2"))
                    + " && echo tmp > " + q(tmp.resolve("t")) + " && ln " + q(tmp.resolve("t")) + " " + q(tmp.resolve("t2")));
            var fs = PassthroughFileSystem.open(src, new PassthroughOptions(CacheMode.SHARED, handles, false, true, false));
            try (Mounted m = Mounted.mount(fs, CacheMode.SHARED)) {
                assertEquals("host\n", Files.readString(m.path("h")));
                assertEquals("tmp\n", Files.readString(m.path("tmp/t")));
                // procfs has no file handles: its nodes are pinned by O_PATH fds instead. (Its files
                // report size 0, so their contents do not show through any page-cached FUSE mount.)
                assertTrue(Sh.ok("ls " + q(m.path("proc"))).contains("version"), "a handle-less file system is listed");
                assertEquals(Sh.ok("stat -c %i:%F " + q(proc.resolve("version"))), Sh.ok("stat -c %i:%F " + q(m.path("proc/version"))),
                        "and its files are the host's files");
                // Hard links resolve to one inode on each file system; the two file systems stay apart.
                String ino = "stat -c %i ";
                assertEquals(Sh.ok(ino + q(m.path("h"))), Sh.ok(ino + q(m.path("h2"))));
                assertEquals(Sh.ok(ino + q(m.path("tmp/t"))), Sh.ok(ino + q(m.path("tmp/t2"))));
                assertEquals("2", Sh.ok("stat -c %h " + q(m.path("tmp/t"))).trim());
                // Writes through the mount land on the right file system.
                Files.writeString(m.path("tmp/new"), "via strata");
                assertEquals("via strata", Files.readString(tmp.resolve("new")));
                assertTrue(Sh.ok("df --output=fstype " + q(tmp.resolve("new"))).contains("tmpfs"));
                // Inode numbers of the small tmpfs get reused: a new file never aliases a held one.
                String held = Sh.ok(ino + q(m.path("tmp/t"))).trim();
                for (int i = 0; i < 50; i++) {
                    Files.writeString(m.path("tmp/x"), "gen " + i);
                    assertEquals("gen " + i, Files.readString(m.path("tmp/x")));
                    Files.delete(m.path("tmp/x"));
                }
                assertEquals("tmp\n", Files.readString(m.path("tmp/t")), "the held file is still itself");
                assertEquals(held, Sh.ok(ino + q(m.path("tmp/t"))).trim());
            }
        } finally {
            Sh.run("umount " + q(proc) + "; umount " + q(tmp));
            Sh.rm(src);
        }
    }

    @ParameterizedTest
    @EnumSource(value = Handles.class, names = {"MANDATORY"})
    void mandatoryHandlesRefuseWhatHasNone(Handles handles) throws Exception {
        Path src = Files.createTempDirectory(Path.of("/tmp"), "strata-it-src");
        Path proc = src.resolve("proc");
        Files.createDirectories(proc);
        Sh.ok("mount -t proc proc " + q(proc));
        try {
            Files.writeString(src.resolve("h"), "host");
            var fs = PassthroughFileSystem.open(src, new PassthroughOptions(CacheMode.SHARED, handles, false, true, false));
            try (Mounted m = Mounted.mount(fs, CacheMode.SHARED)) {
                assertEquals("host", Files.readString(m.path("h")), "the host file system has handles");
                Sh r = Sh.run("cat " + q(m.path("proc/version")));
                assertNotEquals(0, r.code(), "procfs has no file handles: refused under handles=mandatory: " + r.out());
            }
        } finally {
            Sh.run("umount " + q(proc));
            Sh.rm(src);
        }
    }
}
