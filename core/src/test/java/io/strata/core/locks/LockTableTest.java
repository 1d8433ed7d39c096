package io.strata.core.locks;

import static io.strata.core.locks.LockTable.F_RDLCK;
import static io.strata.core.locks.LockTable.F_UNLCK;
import static io.strata.core.locks.LockTable.F_WRLCK;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.strata.core.Errno;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LockTableTest {
    private static LockTable.Lock l(long s, long e, int type) {
        return new LockTable.Lock(s, e, type, 1);
    }

    @Test
    void readersShareWritersExclude() throws Exception {
        LockTable t = new LockTable();
        t.lock(1, 100, false, l(0, 99, F_RDLCK));
        t.lock(1, 200, false, l(50, 60, F_RDLCK));
        LockTable.LockException e = assertThrows(LockTable.LockException.class, () -> t.lock(1, 300, false, l(55, 55, F_WRLCK)));
        assertEquals(Errno.EAGAIN, e.errno());
        t.lock(1, 300, false, l(100, 200, F_WRLCK)); // no overlap
        assertNotNull(t.test(1, 400, false, l(0, LockTable.OFFSET_MAX, F_WRLCK)));
        assertNull(t.test(1, 100, false, l(0, 10, F_WRLCK)), "own locks never conflict");
    }

    @Test
    void unlockSplitsARange() throws Exception {
        LockTable t = new LockTable();
        t.lock(1, 100, false, l(0, 99, F_WRLCK));
        t.lock(1, 100, false, l(40, 59, F_UNLCK));
        assertNull(t.test(1, 200, false, l(40, 59, F_WRLCK)), "the hole is free");
        assertNotNull(t.test(1, 200, false, l(39, 39, F_RDLCK)));
        assertNotNull(t.test(1, 200, false, l(60, 60, F_RDLCK)));
        assertEquals(2, t.heldCount(1));
    }

    @Test
    void waitersAreGrantedWhenTheHolderLetsGo() throws Exception {
        LockTable t = new LockTable();
        t.lock(1, 100, false, l(0, 9, F_WRLCK));
        List<Integer> results = new ArrayList<>();
        t.lockOrWait(1, 200, false, l(5, 5, F_WRLCK), 77, results::add);
        assertEquals(List.of(), results);
        assertEquals(1, t.waiterCount());
        t.releasePosix(1, 100);
        assertEquals(List.of(0), results);
        assertEquals(0, t.waiterCount());
    }

    @Test
    void cancelEndsAWaitWithEintr() throws Exception {
        LockTable t = new LockTable();
        t.lock(1, 100, true, l(0, LockTable.OFFSET_MAX, F_WRLCK));
        List<Integer> results = new ArrayList<>();
        t.lockOrWait(1, 200, true, l(0, LockTable.OFFSET_MAX, F_RDLCK), 5, results::add);
        assertEquals(true, t.cancel(5));
        assertEquals(List.of(Errno.EINTR), results);
        assertEquals(false, t.cancel(5));
    }

    @Test
    void flockAndPosixAreSeparateNamespaces() throws Exception {
        LockTable t = new LockTable();
        t.lock(1, 100, true, l(0, LockTable.OFFSET_MAX, F_WRLCK));
        t.lock(1, 200, false, l(0, LockTable.OFFSET_MAX, F_WRLCK));
        t.releaseFlock(1, 100);
        assertEquals(1, t.heldCount(1));
    }
}
