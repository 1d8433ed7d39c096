package io.strata.it;

import static io.strata.it.Sh.q;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.core.CacheMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Mounts with {@code allow_other,nodefault_permissions}: the kernel checks nothing, so every
 * permission decision is the backend's own. Root prepares a tree, then another user (nobody, with
 * and without a supplementary group) runs real programs against it, and every result (exit status
 * and message, i.e. the errno) and the final state of the tree must be what the same programs give
 * on a kernel file system (ext4 under /tmp) prepared the same way. The expectations come from the
 * kernel; the test only documents which ones it means to be refusals, and checks the kernel agrees,
 * so the comparison cannot pass vacuously.
 */
@Tag(Privileges.TAG)
class NodefaultPermissionsTest {
    private static final String NOBODY = "setpriv --reuid=65534 --regid=65534 --clear-groups ";
    /** nobody with a supplementary group: chgrp to it is the owner's right. */
    private static final String NOBODY_4242 = "setpriv --reuid=65534 --regid=65534 --groups=4242 ";
    private static final String ROOT = "";

    private static Path probe;
    private static Transcript reference;
    private static Path referenceDir;

    /** One command, who runs it and whether it is meant to be refused. */
    private record Op(String who, String cmd, boolean refused) {
        String label() {
            String user = who.equals(NOBODY) ? "nobody" : who.equals(NOBODY_4242) ? "nobody+4242" : "root";
            return user + ": " + cmd;
        }
    }

    private record Transcript(List<String> results, List<Integer> codes, String state) {}

    private static Op refused(String cmd) {
        return new Op(NOBODY, cmd, true);
    }

    private static Op allowed(String cmd) {
        return new Op(NOBODY, cmd, false);
    }

    /** Root prepares the tree (cwd: the tree). Ownership before modes: chown clears set-id bits. */
    private static String prepare() {
        return """
                set -e
                echo secret > secret; chmod 600 secret
                echo public > public; chmod 644 public
                echo open > open; chmod 666 open
                mkdir -m 755 rootdir; echo f > rootdir/f; chmod 644 rootdir/f; mkdir -m 755 rootdir/sub
                mkdir -m 700 private; echo p > private/f; chmod 644 private/f
                mkdir -m 1777 sticky; echo r > sticky/rootfile; chmod 644 sticky/rootfile
                mkdir -m 755 userdir; chown 65534:65534 userdir
                echo u > userfile; chmod 644 userfile; chown 65534:65534 userfile
                echo g > usergrp; chmod 644 usergrp; chown 65534:0 usergrp
                for f in setid setid2 sgidonly setid3 nobodysetid; do echo s > $f; done
                chown 65534:65534 nobodysetid
                chmod 6777 setid setid2 nobodysetid; chmod 2666 sgidonly; chmod 6755 setid3
                PROBE setx public user.x root
                PROBE setx open user.x root
                """.replace("PROBE", "/usr/bin/python3 " + q(probe));
    }

    private static List<Op> ops() {
        String p = "/usr/bin/python3 " + q(probe) + " ";
        return List.of(
                // reading what is not yours
                refused("cat secret"),
                refused("cat private/f"),
                refused("ls private"),
                refused(p + "access secret r"),
                refused(p + "getx secret user.x"),
                allowed("cat public"),
                allowed(p + "getx public user.x"),
                // writing files that are not yours
                refused("sh -c 'echo x >> public'"),
                refused("truncate -s 0 public"),
                refused(p + "access public w"),
                // changing a root 0755 directory
                refused("touch rootdir/new"),
                refused("mkdir rootdir/d"),
                refused("ln -s x rootdir/l"),
                refused("mkfifo rootdir/p"),
                refused("rm -f rootdir/f"),
                refused("rmdir rootdir/sub"),
                refused("mv rootdir/f rootdir/g"),
                refused("mv public moved"),
                refused("mv rootdir/f userdir/f"),
                // fs.protected_hardlinks (on by default): no hard link to a file one may not write
                new Op(NOBODY, "ln rootdir/f userdir/hl", protectedHardlinks()),
                // the sticky directory protects root's file from a user who may write the directory
                refused("rm -f sticky/rootfile"),
                refused("mv sticky/rootfile sticky/x"),
                // attributes of root's files
                refused("chmod 777 public"),
                refused("chown 65534 public"),
                refused("chgrp 65534 public"),
                refused(p + "utime0 public"), // explicit times: owner only
                refused(p + "utime public"), // UTIME_NOW without write access
                refused(p + "utime0 open"), // explicit times even with write access: owner only
                refused(p + "setx public user.x nobody"),
                refused(p + "rmx public user.x"),
                // nobody's own file: giving it away or to a group nobody is not in
                refused("chgrp 4242 userfile"),
                refused("chown 0 userfile"),
                refused(p + "chown userfile -1 0"),
                // what the modes do allow
                allowed("sh -c 'echo more >> open'"),
                allowed(p + "access open w"),
                allowed("touch open"), // open(O_WRONLY) + futimens(NULL)
                allowed(p + "utime open"), // utimensat(UTIME_NOW) by a non-owner with write access
                allowed(p + "setx open user.x nobody"),
                allowed("touch userdir/mine"),
                allowed("mkdir userdir/d"),
                allowed("ln -s target userdir/l"),
                allowed("mv userdir/mine userdir/mine2"),
                allowed("touch sticky/own"),
                allowed("mv sticky/own sticky/own2"),
                allowed("chmod 4755 userfile"),
                allowed("chmod 2755 usergrp"), // not in the file's group: S_ISGID silently dropped
                allowed(p + "utime0 userfile"),
                // set-id bits go when another user writes or truncates
                allowed("sh -c 'echo x >> setid'"),
                allowed("sh -c 'echo x >> sgidonly'"),
                allowed("truncate -s 1 setid2"),
                // supplementary groups
                new Op(NOBODY_4242, "chgrp 4242 userfile", false),
                new Op(NOBODY_4242, "chgrp 4243 userfile", true),
                new Op(NOBODY_4242, p + "chown userdir -1 4242", false),
                // root: chown clears set-id bits; a write by root (CAP_FSETID) keeps them
                new Op(ROOT, "chown 65534 setid3", false),
                new Op(ROOT, "sh -c 'echo x >> nobodysetid'", false));
    }

    private static boolean protectedHardlinks() {
        try {
            return Files.readString(Path.of("/proc/sys/fs/protected_hardlinks")).trim().equals("1");
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /** As root, after every op: types, modes, owners, sizes and contents, xattrs, one mtime. */
    private static String state() {
        return """
                export LC_ALL=C
                sync
                find . -printf '%p %y %m %U:%G\\n' | sort
                find . -type l -printf '%p -> %l\\n' | sort
                find . -type f | sort | while read -r f; do
                  echo "$f $(stat -c %s "$f") $(md5sum < "$f" | cut -c1-12) user.x=$(/usr/bin/python3 PROBE getx "$f" user.x)"
                done
                stat -c '%n mtime %Y' userfile
                """.replace("PROBE", q(probe));
    }

    private static Transcript run(Path tree) throws Exception {
        Sh.ok("cd " + q(tree) + " && " + prepare());
        List<String> results = new ArrayList<>();
        List<Integer> codes = new ArrayList<>();
        for (Op op : ops()) {
            Sh r = Sh.run("export LC_ALL=C; " + op.who + op.cmd, tree, 60);
            results.add(op.label() + "  =>  " + r.code() + " " + r.out().strip());
            codes.add(r.code());
        }
        return new Transcript(results, codes, Sh.ok("cd " + q(tree) + " && " + state()));
    }

    @BeforeAll
    static void referenceOnTheKernel() throws Exception {
        Privileges.assumeRootAndFuse();
        probe = Files.createTempFile(Path.of("/tmp"), "strata-it-probe", ".py",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")));
        try (var in = NodefaultPermissionsTest.class.getResourceAsStream("/probe.py")) {
            Files.copy(in, probe, StandardCopyOption.REPLACE_EXISTING);
        }
        // ext4 under /tmp (the tree's parent stays 0700: nobody starts inside the tree, as on a mount)
        referenceDir = Files.createTempDirectory(Path.of("/tmp"), "strata-it-ref");
        Path tree = referenceDir.resolve("t");
        Sh.ok("mkdir -m 755 " + q(tree));
        reference = run(tree);
        List<Op> ops = ops();
        for (int i = 0; i < ops.size(); i++) {
            boolean failed = reference.codes.get(i) != 0;
            assertEquals(ops.get(i).refused, failed, "the kernel disagrees with this test's premise: " + reference.results.get(i));
        }
        // Rules older than any supported kernel, so the set-id comparisons below compare something.
        // (Whether a write clears S_ISGID without group-exec changed in Linux 6.2: that one is only compared.)
        for (String changed : List.of("./setid f 777", "./setid2 f 777", "./setid3 f 755", "./nobodysetid f 6777",
                "./usergrp f 755")) {
            assertTrue(reference.state.contains(changed), "the kernel's set-id rules, as this test expects them: " + changed
                    + "\n" + reference.state);
        }
    }

    @AfterAll
    static void cleanup() throws Exception {
        if (probe != null) Files.deleteIfExists(probe);
        if (referenceDir != null) Sh.rm(referenceDir);
    }

    static Stream<Arguments> stacks() {
        return Stream.of(Backend.Kind.values())
                .flatMap(k -> Stream.of(CacheMode.EXCLUSIVE, CacheMode.SHARED).map(m -> Arguments.of(k, m)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("stacks")
    void everyDecisionIsTheKernels(Backend.Kind kind, CacheMode mode) throws Exception {
        try (Mounted m = Backend.mount(kind, mode, false)) {
            assertTrue(Sh.ok("grep " + q(m.dir) + " /proc/mounts").contains("allow_other")
                    && !Sh.ok("grep " + q(m.dir) + " /proc/mounts").contains("default_permissions"),
                    "mounted with allow_other and without default_permissions");
            Path tree = m.path("t");
            Sh.ok("mkdir -m 755 " + q(tree));
            Transcript got = run(tree);
            List<String> differ = new ArrayList<>();
            for (int i = 0; i < got.results.size(); i++) {
                if (!got.results.get(i).equals(reference.results.get(i))) {
                    differ.add("kernel: " + reference.results.get(i) + "\nstrata: " + got.results.get(i));
                }
            }
            String host = m.source == null ? got.state : Sh.ok("cd " + q(m.source.resolve("t")) + " && " + state());
            assertAll(kind + " " + mode,
                    () -> assertEquals(List.of(), differ, "decisions that differ from the kernel's"),
                    () -> assertEquals(reference.state, got.state, "the tree after the same commands"),
                    // passthrough: what it made for nobody belongs to nobody on the host too
                    () -> assertEquals(got.state, host, "the host sees the same tree as the mount"));
        }
    }
}
