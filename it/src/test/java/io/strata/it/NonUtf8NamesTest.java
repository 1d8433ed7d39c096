package io.strata.it;

import static io.strata.it.Sh.q;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.strata.core.CacheMode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * File names are bytes. The one-byte names 0xE9 and 0xFF are not UTF-8; a lossy decoding turns
 * both into U+FFFD, so two files answer to one name. Through every backend they must stay two
 * distinct names that can be listed, opened, renamed and removed, in names, symlink targets and
 * xattr names. The shell makes the bytes itself ($'\xe9'), so nothing here depends on the JVM's
 * file-name encoding; ls -b prints them back as octal escapes.
 */
@Tag(Privileges.TAG)
class NonUtf8NamesTest {
    /** Creates the names in the current directory. */
    private static final String CREATE = """
            set -e
            printf e9 > $'\\xe9'
            printf ff > $'\\xff'
            mkdir $'\\xfe'
            printf inner > $'\\xfe'/$'\\xe9'
            ln -s $'\\xff' link
            """;

    /** Sets and lists xattrs whose names are not UTF-8 (Python's bytes API: no decoding anywhere). */
    private static final String XATTRS = """
            /usr/bin/python3 -c "
            import os
            os.setxattr(b'\\xe9', b'user.\\xe9', b'1')
            os.setxattr(b'\\xe9', b'user.\\xff', b'2')
            names = sorted(os.fsencode(n) for n in os.listxattr(b'\\xe9') if n.startswith('user.'))
            print(names, os.getxattr(b'\\xe9', b'user.\\xe9'), os.getxattr(b'\\xe9', b'user.\\xff'))
            os.removexattr(b'\\xe9', b'user.\\xff')
            print(sorted(os.fsencode(n) for n in os.listxattr(b'\\xe9') if n.startswith('user.')))
            "
            """;

    @BeforeEach
    void privileges() {
        Privileges.assumeRootAndFuse();
    }

    private static String sh(Path dir, String script) throws Exception {
        return Sh.ok("export LC_ALL=C; cd " + q(dir) + " && " + script);
    }

    private static int status(Path dir, String script) throws Exception {
        return Sh.run("export LC_ALL=C; cd " + q(dir) + " && " + script).code();
    }

    /** Creates, lists, reads, renames and removes the names in {@code dir} (a directory on a mount). */
    private static void roundTrip(Path dir, Path hostView) throws Exception {
        sh(dir, CREATE);
        assertEquals("link\n\\351\n\\376\n\\377\n", sh(dir, "ls -b"), "two distinct names, listed as their bytes");
        assertEquals("e9|ff|inner|ff", sh(dir, "cat $'\\xe9'; printf '|'; cat $'\\xff'; printf '|'; cat $'\\xfe'/$'\\xe9';"
                + " printf '|'; cat link"), "each name opens its own file");
        assertEquals(" ff\n", sh(dir, "readlink link | head -c1 | od -An -tx1"), "the symlink target is the byte 0xFF");
        assertEquals(2, sh(dir, "stat -c %i $'\\xe9' $'\\xff' | sort -u").lines().count(), "two inodes");
        // The lossy decoding of either name: no such file.
        assertEquals(1, status(dir, "stat $'\\xef\\xbf\\xbd' > /dev/null 2>&1"), "U+FFFD is not a name here");
        assertEquals("[b'user.\\xe9', b'user.\\xff'] b'1' b'2'\n[b'user.\\xe9']\n", sh(dir, XATTRS), "xattr names as bytes");
        if (hostView != null) assertEquals(sh(dir, "ls -b"), sh(hostView, "ls -b"), "the host has the same bytes");

        // rename to another non-UTF-8 name (0xE8 0xE9 is not UTF-8 either), and inside the 0xFE directory
        sh(dir, "mv $'\\xe9' $'\\xe8\\xe9' && mv $'\\xfe'/$'\\xe9' $'\\xfe'/$'\\xff'");
        assertEquals("link\n\\350\\351\n\\376\n\\377\n", sh(dir, "ls -b"));
        assertEquals("\\377\n", sh(dir, "ls -b $'\\xfe'"));
        assertEquals(1, status(dir, "stat $'\\xe9' > /dev/null 2>&1"), "the old name is gone");
        assertEquals("e9|ff|inner", sh(dir, "cat $'\\xe8\\xe9'; printf '|'; cat $'\\xff'; printf '|'; cat $'\\xfe'/$'\\xff'"));
        assertEquals("[b'user.\\xe9']\n", sh(dir, "/usr/bin/python3 -c \"import os; print(sorted(os.fsencode(n) for n in os.listxattr(b'\\xe8\\xe9') if n.startswith('user.')))\""),
                "the xattrs moved with the file");
        if (hostView != null) {
            assertEquals(sh(dir, "ls -b"), sh(hostView, "ls -b"), "the host sees the rename");
            assertEquals("e9", sh(hostView, "cat $'\\xe8\\xe9'"));
        }

        sh(dir, "rm $'\\xe8\\xe9' $'\\xff' link && rm -r $'\\xfe'");
        assertEquals("", sh(dir, "ls -A"), "everything removed");
        if (hostView != null) assertEquals("", sh(hostView, "ls -A"));
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void createdThroughTheMount(Backend backend) throws Exception {
        try (Mounted m = backend.mount()) {
            Path dir = m.path("n"); // a subdirectory: ext2's root has lost+found
            Files.createDirectories(dir);
            roundTrip(dir, m.source == null ? null : m.source.resolve("n"));
        }
    }

    /** Host files named 0xE9 and 0xFF are two files through the mount, and mount-made names reach the host. */
    @ParameterizedTest
    @EnumSource(value = Backend.class, names = {"PASSTHROUGH_EXCLUSIVE", "PASSTHROUGH_SHARED"})
    void passthroughSeesHostNamesAsTheyAre(Backend backend) throws Exception {
        try (Mounted m = backend.mount()) {
            Path host = m.source.resolve("h");
            Files.createDirectories(host);
            sh(host, "printf host-e9 > $'\\xe9' && printf host-ff > $'\\xff' && printf host-fd > $'\\xfd'");
            Path dir = m.path("h");
            assertEquals("\\351\n\\375\n\\377\n", sh(dir, "ls -b"));
            assertEquals("host-e9|host-ff|host-fd", sh(dir, "cat $'\\xe9'; printf '|'; cat $'\\xff'; printf '|'; cat $'\\xfd'"));
            sh(dir, "mv $'\\xfd' $'\\xfc' && printf strata > $'\\xfb' && rm $'\\xe9'");
            assertEquals("\\373\n\\374\n\\377\n", sh(host, "ls -b"), "the host sees the rename, create and remove");
            assertEquals("host-fd|strata|host-ff", sh(host, "cat $'\\xfc'; printf '|'; cat $'\\xfb'; printf '|'; cat $'\\xff'"));
        }
    }

    /**
     * An image made by the kernel's tools (mke2fs -d) holding such names: read and changed through
     * Strata, then clean for e2fsck and read back by the kernel's own ext2 driver.
     */
    @Test
    void kernelMadeExt2Image() throws Exception {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "strata-it-img");
        Path src = dir.resolve("src"), img = dir.resolve("disk.img"), loop = dir.resolve("loop");
        Files.createDirectories(src);
        Files.createDirectories(loop);
        try {
            sh(src, CREATE + "mkdir $'\\xfd' && printf deep > $'\\xfd'/$'\\xff'\n");
            Sh.ok("mke2fs -q -F -t ext2 -b 1024 -d " + q(src) + " " + q(img) + " 16M");
            var fs = io.strata.ext2.Ext2FileSystem.open(img, new io.strata.ext2.Ext2Options(false, 4L << 20, CacheMode.EXCLUSIVE));
            try (Mounted m = Mounted.mount(fs, CacheMode.EXCLUSIVE)) {
                assertEquals("link\nlost+found\n\\351\n\\375\n\\376\n\\377\n", sh(m.dir, "ls -b"), "the names mke2fs wrote");
                assertEquals("e9|ff|inner|deep|ff", sh(m.dir, "cat $'\\xe9'; printf '|'; cat $'\\xff'; printf '|'; cat $'\\xfe'/$'\\xe9';"
                        + " printf '|'; cat $'\\xfd'/$'\\xff'; printf '|'; cat link"));
                sh(m.dir, "mv $'\\xe9' $'\\xe8\\xe9' && rm $'\\xff' && rm -r $'\\xfe' && mv $'\\xfd'/$'\\xff' $'\\xfd'/$'\\xfa'"
                        + " && printf new > $'\\xf9'");
                assertEquals("link\nlost+found\n\\350\\351\n\\371\n\\375\n", sh(m.dir, "ls -b"));
            }
            Sh fsck = Sh.run("e2fsck -fn " + q(img));
            assertEquals(0, fsck.code(), "e2fsck -fn after the changes:\n" + fsck.out());
            Sh.ok("mount -o loop,ro " + q(img) + " " + q(loop));
            try {
                assertEquals("link\nlost+found\n\\350\\351\n\\371\n\\375\n", sh(loop, "ls -b"), "the kernel reads the same names");
                assertEquals("\\372\n", sh(loop, "ls -b $'\\xfd'"));
                assertEquals("e9|deep|new", sh(loop, "cat $'\\xe8\\xe9'; printf '|'; cat $'\\xfd'/$'\\xfa'; printf '|'; cat $'\\xf9'"));
            } finally {
                Sh.run("umount " + q(loop));
            }
        } finally {
            Sh.rm(dir);
        }
    }
}
