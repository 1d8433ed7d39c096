package io.strata.sys;

import static io.strata.sys.PosixFiles.AT_SYMLINK_NOFOLLOW;
import static io.strata.sys.PosixFiles.STATX_BASIC_STATS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.strata.core.Errno;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Credentials changed with raw syscalls belong to one thread; the others keep theirs (needs root). */
class ThreadCredentialsTest {
    Path dir;
    int dfd = -1;
    ExecutorService other;

    @BeforeEach
    void setUp() throws Exception {
        assumeTrue(Libc.geteuid() == 0, "changing credentials needs root");
        assumeTrue(ThreadCredentials.supported(), "syscall numbers unknown on this architecture");
        dir = Files.createTempDirectory(Path.of("/tmp"), "strata-creds");
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
        dfd = Libc.open(dir.toString(), Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0);
        other = Executors.newSingleThreadExecutor();
    }

    @AfterEach
    void tearDown() throws Exception {
        if (other != null) other.shutdownNow();
        Libc.closeQuietly(dfd);
        if (dir != null) {
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    <T> T onOther(Callable<T> c) throws Exception {
        return other.submit(c).get();
    }

    @Test
    void fsuidOfOneThreadLeavesTheOthersAlone() throws Exception {
        assertEquals(0, ThreadCredentials.fsuid());
        CyclicBarrier switched = new CyclicBarrier(2), checked = new CyclicBarrier(2);
        Future<int[]> f = other.submit(() -> {
            int before = ThreadCredentials.setfsuid(65534);
            ThreadCredentials.setfsgid(65534);
            try {
                switched.await();
                // created while the main thread creates as root: owned by 65534
                Libc.close(PosixFiles.openat(dfd, b("by-other"), Libc.O_CREAT | Libc.O_WRONLY | Libc.O_CLOEXEC, 0644));
                checked.await();
                return new int[] {before, ThreadCredentials.fsuid(), ThreadCredentials.fsgid()};
            } finally {
                ThreadCredentials.setfsuid(0);
                ThreadCredentials.setfsgid(0);
            }
        });
        switched.await();
        assertEquals(0, ThreadCredentials.fsuid(), "this thread is still root");
        Libc.close(PosixFiles.openat(dfd, b("by-main"), Libc.O_CREAT | Libc.O_WRONLY | Libc.O_CLOEXEC, 0644));
        checked.await();
        assertArrayEquals(new int[] {0, 65534, 65534}, f.get());
        assertEquals(65534, PosixFiles.statx(dfd, b("by-other"), AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS).uid());
        assertEquals(65534, PosixFiles.statx(dfd, b("by-other"), AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS).gid());
        assertEquals(0, PosixFiles.statx(dfd, b("by-main"), AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS).uid());
        assertEquals(0, onOther(ThreadCredentials::fsuid), "restored");
    }

    @Test
    void effectiveUidDropsCapabilitiesForThatThreadOnly() throws Exception {
        Libc.close(PosixFiles.openat(dfd, b("secret"), Libc.O_CREAT | Libc.O_WRONLY | Libc.O_CLOEXEC, 0600));
        CyclicBarrier switched = new CyclicBarrier(2), checked = new CyclicBarrier(2);
        Future<Integer> f = other.submit(() -> {
            ThreadCredentials.setresgid(-1, 65534, -1);
            ThreadCredentials.setresuid(-1, 65534, -1);
            try {
                switched.await();
                SysException e = assertThrows(SysException.class,
                        () -> PosixFiles.openat(dfd, b("secret"), Libc.O_RDONLY | Libc.O_CLOEXEC, 0));
                // CAP_MKNOD went with euid 0 (setfsuid alone would have kept it)
                SysException mknod = assertThrows(SysException.class,
                        () -> PosixFiles.mknodat(dfd, b("null"), 0020666, PosixFiles.makedev(1, 3)));
                assertEquals(Errno.EPERM, mknod.errno());
                assertArrayEquals(new int[] {0, 65534, 0}, ThreadCredentials.getresuid());
                checked.await();
                return e.errno();
            } finally {
                ThreadCredentials.setresuid(-1, 0, -1);
                ThreadCredentials.setresgid(-1, 0, -1);
            }
        });
        switched.await();
        // meanwhile this thread still reads it (CAP_DAC_OVERRIDE)
        Libc.close(PosixFiles.openat(dfd, b("secret"), Libc.O_RDONLY | Libc.O_CLOEXEC, 0));
        assertArrayEquals(new int[] {0, 0, 0}, ThreadCredentials.getresuid());
        checked.await();
        assertEquals(Errno.EACCES, f.get());
        // capabilities came back with euid 0
        assertEquals(0, (int) onOther(() -> {
            Libc.close(PosixFiles.openat(dfd, b("secret"), Libc.O_RDONLY | Libc.O_CLOEXEC, 0));
            return ThreadCredentials.getresuid()[1];
        }));
    }

    @Test
    void supplementaryGroupsAreSetPerThread() throws Exception {
        int[] mine = ThreadCredentials.getgroups();
        Files.writeString(dir.resolve("grp"), "g");
        Files.setAttribute(dir.resolve("grp"), "unix:gid", 4242);
        Files.setPosixFilePermissions(dir.resolve("grp"), java.nio.file.attribute.PosixFilePermissions.fromString("rw-r-----"));
        CyclicBarrier switched = new CyclicBarrier(2), checked = new CyclicBarrier(2);
        Future<int[]> f = other.submit(() -> {
            ThreadCredentials.setgroups(new int[] {4242, 4343});
            ThreadCredentials.setresgid(-1, 65534, -1);
            ThreadCredentials.setresuid(-1, 65534, -1);
            try {
                switched.await();
                // readable through the supplementary group only
                Libc.close(PosixFiles.openat(dfd, b("grp"), Libc.O_RDONLY | Libc.O_CLOEXEC, 0));
                checked.await();
                return ThreadCredentials.getgroups();
            } finally {
                ThreadCredentials.setresuid(-1, 0, -1);
                ThreadCredentials.setresgid(-1, 0, -1);
                ThreadCredentials.setgroups(mine);
            }
        });
        switched.await();
        assertArrayEquals(mine, ThreadCredentials.getgroups(), "the main thread's groups did not change");
        checked.await();
        assertArrayEquals(new int[] {4242, 4343}, f.get());
        assertArrayEquals(mine, onOther(ThreadCredentials::getgroups), "restored");
        // without the group: refused
        int e = onOther(() -> {
            ThreadCredentials.setgroups(new int[0]);
            ThreadCredentials.setresuid(-1, 65534, -1);
            try {
                return assertThrows(SysException.class,
                        () -> PosixFiles.openat(dfd, b("grp"), Libc.O_RDONLY | Libc.O_CLOEXEC, 0)).errno();
            } finally {
                ThreadCredentials.setresuid(-1, 0, -1);
                ThreadCredentials.setgroups(mine);
            }
        });
        assertEquals(Errno.EACCES, e);
    }
}
