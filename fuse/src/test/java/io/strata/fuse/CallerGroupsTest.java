package io.strata.fuse;

import static io.strata.fuse.Wire.cat;
import static io.strata.fuse.Wire.le;
import static io.strata.fuse.Wire.z;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.core.Caller;
import io.strata.core.Errno;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The Caller behind a request: header credentials, the create extension's group, /proc groups. */
class CallerGroupsTest {
    @Test
    void parsesTheGroupsLine() {
        byte[] status = "Name:\tbash\nUid:\t1000\t1000\t1000\t1000\nGroups:\t27 4 1000 \nNgid:\t0\n"
                .getBytes(StandardCharsets.US_ASCII);
        assertArrayEquals(new int[] {4, 27, 1000}, ProcGroups.parse(status));
        assertArrayEquals(new int[0], ProcGroups.parse("Groups:\t\n".getBytes(StandardCharsets.US_ASCII)));
        assertArrayEquals(new int[0], ProcGroups.parse("Uid:\t0\n".getBytes(StandardCharsets.US_ASCII)));
        assertArrayEquals(new int[] {(int) 4294967294L},
                ProcGroups.parse("Groups:\t4294967294\n".getBytes(StandardCharsets.US_ASCII)), "gids are unsigned 32-bit");
        assertArrayEquals(new int[0], ProcGroups.parse("Groups:\t99999999999\n".getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void groupsAreReadFromTheRequestersProcStatusOnFirstUse() throws Exception {
        int pid = (int) ProcessHandle.current().pid();
        int[] expected = ProcGroups.read(Path.of("/proc/self/status"));
        TinyFs fs = new TinyFs();
        try (Wire w = new Wire(fs, false)) {
            w.feed(Opcode.LOOKUP, 1, 1, 1000, 1000, pid, z("hello"), new byte[0], 0);
            assertEquals(0, w.replyError(1));
        }
        Caller c = fs.lastCaller;
        assertEquals(1000, c.uid());
        assertEquals(1000, c.gid());
        assertEquals(pid, c.pid());
        assertArrayEquals(expected, c.groups().toArray());
        assertTrue(c.inGroup(1000), "the primary group");
        // A process that is gone (or pid 0: another pid namespace) has no supplementary groups.
        assertArrayEquals(new int[0], new ProcGroups(0, -1).toArray());
        assertFalse(Files.exists(Path.of("/proc/999999999")));
        assertArrayEquals(new int[0], new ProcGroups(999_999_999, -1).toArray());
    }

    @Test
    void theCreateExtensionsGroupCountsWithoutProc() throws Exception {
        TinyFs fs = new TinyFs();
        try (Wire w = new Wire(fs, false)) {
            // fuse_ext_header {size 16, type FUSE_EXT_GROUPS} + fuse_supp_groups {nr 1, groups[0] 4242}
            byte[] ext = le(16, Request.EXT_GROUPS, 1, 4242);
            w.feed(Opcode.MKDIR, 1, 1, 1000, 1000, 0, cat(le(0755, 022), z("d")), ext, 0);
            assertEquals(Errno.EROFS, w.replyError(1));
        }
        Caller c = fs.lastCaller;
        assertTrue(c.inGroup(4242), "the parent's group the kernel vouched for");
        assertFalse(c.inGroup(4243), "pid 0: nothing else is known");
        assertArrayEquals(new int[] {4242}, c.groups().toArray());
    }

    @Test
    void otherExtensionsAreSkipped() throws Exception {
        TinyFs fs = new TinyFs();
        try (Wire w = new Wire(fs, false)) {
            // a security context record (type 1, 24 bytes of which we read nothing), then the groups
            byte[] ext = cat(le(24, 1, 0, 0, 0, 0), le(16, Request.EXT_GROUPS, 1, 77));
            w.feed(Opcode.MKNOD, 2, 1, 5, 5, 0, cat(le(0100644, 0, 022, 0), z("f")), ext, 0);
            assertEquals(Errno.EROFS, w.replyError(2));
        }
        assertTrue(fs.lastCaller.inGroup(77));
    }
}
