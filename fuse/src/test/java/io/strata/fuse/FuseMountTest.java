package io.strata.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.core.CacheMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Mounts {@link TinyFs} through the real kernel and looks at it with coreutils. */
class FuseMountTest {
    @Test
    void servesLookupReadReaddirStatfsThroughTheKernel() throws Exception {
        Path mnt = Files.createTempDirectory(Path.of("/tmp"), "strata-fuse-test");
        TinyFs fs = new TinyFs();
        FuseSession s = FuseSession.mount(fs, mnt, FuseConfig.defaults(CacheMode.SHARED).withThreads(3));
        try {
            assertEquals("hello world\n", Files.readString(mnt.resolve("hello")));
            Sh ls = Sh.run("ls -a " + mnt + " | LC_ALL=C grep -a -v '[^ -~]'");
            assertEquals(Set.of(".", "..", "hello", "sub", "link"), Set.of(ls.out().trim().split("\\s+")));
            Sh stat = Sh.run("stat -c '%s %a %F %Y.%y' " + mnt + "/hello");
            assertTrue(stat.out().startsWith("12 644 regular file 2."), stat.out());
            assertTrue(stat.out().contains(".500000123"), "nanoseconds survive: " + stat.out());
            Sh ro = Sh.run("touch " + mnt + "/new");
            assertNotEquals(0, ro.code());
            assertTrue(ro.out().contains("Read-only"), ro.out());
            Sh missing = Sh.run("cat " + mnt + "/nope");
            assertTrue(missing.out().contains("No such file"), missing.out());
            Sh df = Sh.run("stat -f -c '%b %f %c %d' " + mnt);
            assertEquals("100 50 10 7", df.out().trim());
            Sh lk = Sh.run("flock -n " + mnt + "/hello -c 'flock -n " + mnt + "/hello true' ; echo $?");
            assertEquals("1", lk.out().trim(), "a second flock on the same file must fail while the first holds it");
        } finally {
            s.close();
            Files.deleteIfExists(mnt);
        }
        Sh mounts = Sh.run("grep -c " + mnt + " /proc/mounts");
        assertEquals("0", mounts.out().trim(), "unmounted");
        assertEquals(0, fs.closes.get(), "the mount never closes the file system");
    }

    @Test
    void bytesNamesIoctlStatxAndSeekThroughTheKernel() throws Exception {
        Path mnt = Files.createTempDirectory(Path.of("/tmp"), "strata-fuse-test");
        TinyFs fs = new TinyFs();
        FuseSession s = FuseSession.mount(fs, mnt, FuseConfig.defaults().withThreads(2));
        try {
            // Two names that a UTF-8 decoder would merge into one U+FFFD: both exist, each as itself.
            assertEquals("e9", Sh.run("cat \"" + mnt + "/$(printf '\\351')\"").out().trim());
            assertEquals("ff", Sh.run("cat \"" + mnt + "/$(printf '\\377')\"").out().trim());
            assertEquals("7", Sh.run("ls -a " + mnt + " | wc -l").out().trim());
            assertEquals("78 e9", Sh.run("readlink -n " + mnt + "/link | od -An -tx1").out().trim(),
                    "the symlink target's bytes, unchanged");
            // FS_IOC_GETFLAGS: lsattr goes through the kernel's fileattr path to FUSE_IOCTL.
            Sh lsattr = Sh.run("lsattr -d " + mnt + "/hello");
            assertTrue(lsattr.out().startsWith("----i"), lsattr.out());
            // FS_IOC_MEASURE_VERITY: a restricted ioctl whose size the kernel computes from digest_size.
            String py = "import fcntl,struct,sys\n"
                    + "f=open(sys.argv[1],'rb')\n"
                    + "b=bytearray(struct.pack('<HH',0,64)+bytes(64))\n"
                    + "fcntl.ioctl(f.fileno(),0xc0046686,b)\n"
                    + "alg,size=struct.unpack_from('<HH',b)\n"
                    + "print(alg,size,b[4:4+size].hex())\n";
            Sh verity = Sh.run("python3 -c \"$(cat <<'PY'\n" + py + "PY\n)\" " + mnt + "/hello");
            StringBuilder digest = new StringBuilder();
            for (int i = 0; i < 32; i++) digest.append(String.format("%02x", 0xA0 + i));
            assertEquals("1 32 " + digest, verity.out().trim(), verity.out());
            // STATX: the birth time comes from Attr.btime.
            assertEquals(Long.toString(TinyFs.BTIME_NS / 1_000_000_000L), Sh.run("stat -c %W " + mnt + "/hello").out().trim());
            // LSEEK: the backend says ENOSYS while the stack claims SEEK_DATA: the generic answer.
            String seek = "import os,sys\nfd=os.open(sys.argv[1],os.O_RDONLY)\nprint(os.lseek(fd,3,os.SEEK_HOLE),os.lseek(fd,3,os.SEEK_DATA))\n";
            assertEquals("12 3", Sh.run("python3 -c \"$(cat <<'PY'\n" + seek + "PY\n)\" " + mnt + "/hello").out().trim());
        } finally {
            s.close();
            Files.deleteIfExists(mnt);
        }
        assertEquals("0", Sh.run("grep -c " + mnt + " /proc/mounts").out().trim(), "unmounted");
    }

    @Test
    void aCacheModeThatDisagreesWithTheFileSystemRefusesTheMount() throws Exception {
        Path mnt = Files.createTempDirectory(Path.of("/tmp"), "strata-fuse-test");
        try {
            java.io.IOException e = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class,
                    () -> FuseSession.mount(new TinyFs(), mnt, FuseConfig.defaults(CacheMode.EXCLUSIVE)).close());
            assertTrue(e.getMessage().contains("cache=exclusive") && e.getMessage().contains("cache=shared"), e.getMessage());
            assertEquals("0", Sh.run("grep -c " + mnt + " /proc/mounts").out().trim(), "nothing was mounted");
        } finally {
            Files.deleteIfExists(mnt);
        }
    }
}
