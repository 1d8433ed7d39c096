package io.strata.it;

import static io.strata.it.Sh.q;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Real programs on a Strata mount, compared with the same work on a native directory. */
class RealProgramsTest {
    @ParameterizedTest
    @EnumSource(Backend.class)
    void tarExtractAndCreateMatchNative(Backend backend) throws Exception {
        Path tar = Trees.tarball();
        Path ref = Files.createTempDirectory(Path.of("/tmp"), "strata-it-ref");
        try (Mounted m = backend.mount()) {
            Path dst = m.path("tree"); // a subdirectory: ext2's root has lost+found
            Files.createDirectories(dst);
            String x = "tar --xattrs --xattrs-include='user.*' -xpf " + q(tar) + " -C ";
            Sh.ok(x + q(ref));
            Sh.ok(x + q(dst));
            Sh.ok("diff -r --no-dereference -x fifo " + q(ref) + " " + q(dst));
            Trees.assertSame(Trees.listing(ref), Trees.listing(dst), "types, modes, sizes, links, ns mtimes, targets");
            assertEquals(Trees.xattrs(ref), Trees.xattrs(dst));
            assertEquals(Trees.linkGroups(ref), Trees.linkGroups(dst));
            assertTrue(Trees.linkGroups(dst).contains("extra/a-link1"), "the hard links are there");
            // tar -c from the mount lists the same members as tar -c from the reference.
            String list = "tar --xattrs --format=posix -cf - . | tar -tvf - | awk '{print $1, $3, $6}' | LC_ALL=C sort";
            assertEquals(Sh.ok("cd " + q(ref) + " && " + list), Sh.ok("cd " + q(dst) + " && " + list));
            Sh.ok("rm -rf " + q(dst));
            assertTrue(!Files.exists(dst), "rm -rf removed the whole tree");
        } finally {
            Sh.rm(ref);
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void cpArchivePreservesEverything(Backend backend) throws Exception {
        Path src = Trees.source();
        try (Mounted m = backend.mount()) {
            Path dst = m.path("copy");
            Sh.ok("cp -a " + q(src) + " " + q(dst));
            Trees.assertSame(Trees.listing(src), Trees.listing(dst), "cp -a into the mount");
            assertEquals(Trees.xattrs(src), Trees.xattrs(dst));
            assertEquals(Trees.linkGroups(src), Trees.linkGroups(dst));
            Path back = Files.createTempDirectory(Path.of("/tmp"), "strata-it-back");
            try {
                Sh.ok("cp -a " + q(dst) + "/. " + q(back));
                Trees.assertSame(Trees.listing(src), Trees.listing(back), "copying back out loses nothing");
            } finally {
                Sh.run("rm -rf " + q(back));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void gitWorkflow(Backend backend) throws Exception {
        try (Mounted m = backend.mount()) {
            Path repo = m.path("repo");
            String g = "cd " + q(repo) + " && git -c user.name=t -c user.email=t@e -c init.defaultBranch=main ";
            Files.createDirectories(repo);
            Sh.ok(g + "init -q");
            Sh.ok("cp -a /usr/include/linux " + q(repo) + "/src");
            Sh.ok(g + "add -A && cd " + q(repo) + " && git -c user.name=t -c user.email=t@e commit -qm first");
            assertEquals("", Sh.ok(g + "status --porcelain"));
            Sh.ok("echo change >> " + q(repo) + "/src/fuse.h");
            assertTrue(Sh.ok(g + "status --porcelain").contains("src/fuse.h"));
            Sh.ok(g + "commit -qam second");
            Sh.ok(g + "gc -q --aggressive");
            Sh.ok(g + "fsck --full --strict");
            assertEquals("2", Sh.ok(g + "rev-list --count HEAD").trim());
            Sh.ok(g + "checkout -q HEAD~1 -- src/fuse.h");
            Sh.ok("cmp " + q(repo) + "/src/fuse.h /usr/include/linux/fuse.h");
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void ddAndFioVerify(Backend backend) throws Exception {
        Path data = Files.createTempFile(Path.of("/tmp"), "strata-it-dd", ".bin");
        try (Mounted m = backend.mount()) {
            Sh.ok("dd if=/dev/urandom of=" + q(data) + " bs=1M count=48 status=none");
            Sh.ok("dd if=" + q(data) + " of=" + q(m.path("dd.bin")) + " bs=1M conv=fsync status=none");
            Sh.ok("cmp " + q(data) + " " + q(m.path("dd.bin")));
            Sh.ok("dd if=" + q(data) + " of=" + q(m.path("dd.bin")) + " bs=4k seek=3 count=7 conv=notrunc status=none");
            Sh.ok("dd if=" + q(m.path("dd.bin")) + " bs=4k skip=3 count=7 status=none | cmp - <(head -c 28672 " + q(data) + ")");
            for (String rw : new String[] {"randwrite --bs=4k", "write --bs=1m", "randrw --bs=16k"}) {
                String out = Sh.ok("fio --name=v --directory=" + q(m.dir) + " --size=24m --rw=" + rw
                        + " --ioengine=psync --verify=crc32c --do_verify=1 --verify_fatal=1 --verify_state_save=0 --numjobs=2"
                        + " --group_reporting --output-format=terse");
                assertTrue(!out.contains("verify:") && !out.contains("bad"), out);
            }
        } finally {
            Files.deleteIfExists(data);
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void locksFromTwoProcesses(Backend backend) throws Exception {
        try (Mounted m = backend.mount()) {
            Path f = m.path("lockfile");
            Files.writeString(f, "x");
            // flock: a second process cannot take it while the first holds it, and can afterwards.
            assertEquals("1", Sh.ok("flock -n " + q(f) + " -c 'flock -n " + q(f) + " true; echo $?'").trim());
            assertEquals("0", Sh.ok("flock -n " + q(f) + " true; echo $?").trim());
            // fcntl byte-range locks between two python processes; the blocking one waits.
            String py = """
                    import fcntl, os, subprocess, sys, time
                    f = sys.argv[1]
                    fd = os.open(f, os.O_RDWR)
                    fcntl.lockf(fd, fcntl.LOCK_EX, 10, 0)
                    probe = "import fcntl,os,sys; fd=os.open(sys.argv[1], os.O_RDWR)\\n" \\
                            "try:\\n fcntl.lockf(fd, fcntl.LOCK_EX|fcntl.LOCK_NB, 5, 2); print('got')\\n" \\
                            "except OSError as e: print('busy')\\n" \\
                            "fcntl.lockf(fd, fcntl.LOCK_SH|fcntl.LOCK_NB, 5, 20); print('other-range')"
                    print(subprocess.run([sys.executable, "-c", probe, f], capture_output=True, text=True).stdout.strip().replace("\\n", " "))
                    waiter = subprocess.Popen([sys.executable, "-c",
                        "import fcntl,os,sys,time; fd=os.open(sys.argv[1], os.O_RDWR); t=time.time(); fcntl.lockf(fd, fcntl.LOCK_EX, 1, 0); print('waited %.1f' % (time.time()-t))", f],
                        stdout=subprocess.PIPE, text=True)
                    time.sleep(1.0)
                    os.close(fd)  # closing drops the lock
                    print(waiter.communicate()[0].strip())
                    """;
            Path script = Files.createTempFile(Path.of("/tmp"), "locks", ".py");
            try {
                Files.writeString(script, py);
                String out = Sh.ok("python3 " + q(script) + " " + q(f));
                assertTrue(out.contains("busy other-range"), out);
                double waited = Double.parseDouble(out.replaceAll("(?s).*waited ([0-9.]+).*", "$1"));
                assertTrue(waited >= 0.8, "the blocking lock waited for the holder: " + out);
            } finally {
                Files.deleteIfExists(script);
            }
        }
    }
}
