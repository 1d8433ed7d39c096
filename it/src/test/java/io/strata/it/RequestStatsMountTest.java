package io.strata.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.core.CacheMode;
import io.strata.fuse.Opcode;
import io.strata.fuse.RequestStats;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Request statistics through a real mount, and zero-message OPENDIR: counted with those statistics,
 * after the first directory open no OPENDIR (nor RELEASEDIR) reaches the daemon, and listings stay
 * right after creates and unlinks through the mount.
 */
class RequestStatsMountTest {
    @Test
    void countsLookupsOfNewNamesAndTheTableNamesThem() throws Exception {
        try (Mounted m = Backend.mount(Backend.Kind.MEMORY, CacheMode.EXCLUSIVE, true)) {
            RequestStats st = m.session().stats();
            long before = st.count(Opcode.LOOKUP);
            int n = 40;
            Sh.run("for i in $(seq 1 " + n + "); do stat " + m.dir + "/absent-$i >/dev/null 2>&1; done");
            assertTrue(st.count(Opcode.LOOKUP) - before >= n, "one LOOKUP per new name at least: " + st.table("t"));
            long lookupErrors = st.row(Opcode.LOOKUP).errors();
            assertEquals(0, lookupErrors, "misses are negative entries, not errors");
            Sh.ok("for i in $(seq 1 " + n + "); do echo $i > " + m.dir + "/f$i; done; cat " + m.dir + "/f7 >/dev/null");
            assertTrue(st.count(Opcode.CREATE) >= n, st.table("t"));
            assertTrue(st.count(Opcode.WRITE) + st.count(Opcode.SETATTR) >= 1, st.table("t"));
            String table = st.table(m.dir.toString());
            for (String op : List.of("LOOKUP", "CREATE", "GETATTR")) {
                assertTrue(Arrays.stream(table.split("\n")).anyMatch(l -> l.startsWith(op + " ")), op + " in\n" + table);
            }
            RequestStats.Row r = st.row(Opcode.LOOKUP);
            assertTrue(r.p50() <= r.p90() && r.p90() <= r.p99() && r.p99() <= r.max() && r.p50() > 0, r.toString());
        }
    }

    @Test
    void statelessDirectoriesSendOpendirOnceAndListingsStayRight() throws Exception {
        try (Mounted m = Backend.mount(Backend.Kind.MEMORY, CacheMode.EXCLUSIVE, true)) {
            assertTrue(m.session().skipsOpendir(), "memory + exclusive + default_permissions skips OPENDIR");
            RequestStats st = m.session().stats();
            Sh.ok("mkdir " + m.dir + "/d && touch " + m.dir + "/d/a " + m.dir + "/d/b");
            assertEquals("a b", ls(m, "d"));
            long opendirs = st.count(Opcode.OPENDIR);
            assertTrue(opendirs <= 1, "at most the one OPENDIR that got ENOSYS: " + opendirs);
            long reads = st.count(Opcode.READDIR) + st.count(Opcode.READDIRPLUS);
            assertEquals("a b", ls(m, "d"));
            assertEquals(reads, st.count(Opcode.READDIR) + st.count(Opcode.READDIRPLUS),
                    "an unchanged directory is listed from the kernel's cache, as with CACHE_DIR|KEEP_CACHE");
            Sh.ok("touch " + m.dir + "/d/c && rm " + m.dir + "/d/a");
            assertEquals("b c", ls(m, "d"));
            Sh.ok("mkdir " + m.dir + "/d/e && mv " + m.dir + "/d/b " + m.dir + "/d/e/");
            assertEquals("c e", ls(m, "d"));
            assertEquals("b", ls(m, "d/e"));
            Sh.ok("for i in $(seq 1 300); do touch " + m.dir + "/d/e/long-name-to-need-several-readdir-buffers-$i; done");
            assertEquals("301", Sh.ok("ls -f " + m.dir + "/d/e | grep -vc '^\\.\\.\\?$'").trim(),
                    "a listing over several READDIR replies, each with fh 0 and a cookie");
            Sh.ok("find " + m.dir + " -type d | xargs ls -la >/dev/null");
            assertEquals(opendirs, st.count(Opcode.OPENDIR), "no OPENDIR after the first: " + st.table("t"));
            assertEquals(0, st.count(Opcode.RELEASEDIR), "no RELEASEDIR either");
        }
    }

    @Test
    void withoutDefaultPermissionsEveryOpendirStillReachesTheBackend() throws Exception {
        try (Mounted m = Backend.mount(Backend.Kind.MEMORY, CacheMode.EXCLUSIVE, false)) {
            assertFalse(m.session().skipsOpendir(), "the backend's opendir checks read permission here");
            Sh.ok("mkdir " + m.dir + "/d && touch " + m.dir + "/d/a");
            RequestStats st = m.session().stats();
            long before = st.count(Opcode.OPENDIR);
            for (int i = 0; i < 3; i++) assertEquals("a", ls(m, "d"));
            assertTrue(st.count(Opcode.OPENDIR) - before >= 3, st.table("t"));
            assertEquals(0, st.row(Opcode.OPENDIR).errors());
        }
    }

    private static String ls(Mounted m, String dir) throws Exception {
        return Sh.ok("ls " + m.dir + "/" + dir).trim().replaceAll("\\s+", " ");
    }
}
