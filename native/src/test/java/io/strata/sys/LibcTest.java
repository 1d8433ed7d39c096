package io.strata.sys;

import io.strata.core.Errno;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class LibcTest {
    @Test
    void errnoIsCapturedAndNamed() {
        SysException e = assertThrows(SysException.class, () -> Libc.open("/nonexistent/strata", Libc.O_RDONLY, 0));
        assertEquals(Errno.ENOENT, e.errno());
        assertTrue(e.getMessage().contains("ENOENT") && e.getMessage().contains("/nonexistent/strata"), e.getMessage());
        SysException bad = assertThrows(SysException.class, () -> Libc.close(987654));
        assertEquals(Errno.EBADF, bad.errno());
    }

    @Test
    void readWritePreadPwriteWritev() throws Exception {
        Path f = Files.createTempFile(Path.of("/tmp"), "libc", ".bin");
        try (Arena a = Arena.ofConfined()) {
            int fd = Libc.open(f.toString(), Libc.O_RDWR | Libc.O_TRUNC, 0);
            try {
                MemorySegment hello = a.allocateFrom("hello ", StandardCharsets.UTF_8);
                MemorySegment world = a.allocateFrom("world", StandardCharsets.UTF_8);
                IoVec iov = new IoVec(a, 4).add(hello, 6).add(world, 5);
                assertEquals(11, Libc.writev(fd, iov));
                MemorySegment buf = a.allocate(32);
                assertEquals(5, Libc.pread(fd, buf, 5, 6));
                assertEquals("world", buf.getString(0).substring(0, 5));
                assertEquals(1, Libc.pwrite(fd, a.allocateFrom("W"), 1, 6));
            } finally {
                Libc.close(fd);
            }
            assertEquals("hello World", Files.readString(f));
        } finally {
            Files.delete(f);
        }
    }

    @Test
    void descriptorsPassOverUnixSockets() throws Exception {
        int[] sp = Libc.socketpair(Libc.SOCK_STREAM | Libc.SOCK_CLOEXEC);
        Path f = Files.createTempFile(Path.of("/tmp"), "libc", ".txt");
        Files.writeString(f, "passed");
        try {
            // The sending side is a real program (like fusermount3 would be): python's send_fds.
            int rc = Spawn.runWithFd(new String[] {"python3", "-c",
                "import socket,os; s=socket.socket(fileno=3); fd=os.open('" + f + "', os.O_RDONLY); socket.send_fds(s,[b'x'],[fd])"},
                    new String[] {"PATH=/usr/bin:/bin"}, sp[1], 3);
            assertEquals(0, rc);
            int fd = Libc.receiveFd(sp[0]);
            assertTrue(fd > 2);
            try (Arena a = Arena.ofConfined()) {
                MemorySegment buf = a.allocate(16);
                long n = Libc.read(fd, buf, 16);
                assertEquals("passed", new String(buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8));
            }
            Libc.close(fd);
        } finally {
            Libc.closeQuietly(sp[0]);
            Libc.closeQuietly(sp[1]);
            Files.delete(f);
        }
    }

    @Test
    void pollReportsReadiness() throws Exception {
        int[] sp = Libc.socketpair(Libc.SOCK_STREAM | Libc.SOCK_CLOEXEC);
        try (Arena a = Arena.ofConfined()) {
            assertEquals(0, Libc.pollOne(sp[0], Libc.POLLIN, 0));
            Libc.write(sp[1], a.allocateFrom("x"), 1);
            assertTrue((Libc.pollOne(sp[0], Libc.POLLIN, 1000) & Libc.POLLIN) != 0);
        } finally {
            Libc.closeQuietly(sp[0]);
            Libc.closeQuietly(sp[1]);
        }
    }

    @Test
    void expectedErrnosAreStacklessAndMessagesAreBuiltLazily() {
        SysException e = assertThrows(SysException.class, () -> Libc.open("/nonexistent/strata", Libc.O_RDONLY, 0));
        assertEquals(0, e.getStackTrace().length, "ENOENT is an answer, not a fault: no stack trace");
        assertEquals("open", e.call());
        assertEquals("open /nonexistent/strata: ENOENT", e.getMessage());
        SysException bad = assertThrows(SysException.class, () -> Libc.close(987654));
        assertTrue(bad.getStackTrace().length > 0, "EBADF is a fault: it keeps its stack trace");
        SysException ioctl = assertThrows(SysException.class, () -> Libc.ioctl(987654, 0x1234, MemorySegment.NULL));
        assertEquals("ioctl 0x1234: EBADF", ioctl.getMessage());
        byte[] name = {'a', (byte) 0xE9};
        SysException b = new SysException("openat", name, Errno.EEXIST);
        name[0] = 'z'; // the exception keeps its own copy
        assertEquals("openat a\\xE9: EEXIST", b.getMessage());
    }

    @Test
    void ioctlEncodingMatchesTheKernelHeaders() {
        // FUSE_DEV_IOC_CLONE = _IOR(229, 0, uint32_t)
        assertEquals(0x8004e500L, Libc.ioc(Libc.IOC_READ, 229, 0, 4));
    }
}
