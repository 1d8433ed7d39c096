package io.strata.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** SIGUSR1 reaches the installed action (the mount daemon's statistics) and does not end the JVM. */
class StatsSignalTest {
    @Test
    void usr1RunsTheActionEveryTimeAndTheProcessLives() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        java.util.concurrent.Semaphore ran = new java.util.concurrent.Semaphore(0);
        assertTrue(StatsSignal.install(() -> {
            runs.incrementAndGet();
            ran.release();
        }), "SIGUSR1 can be handled in this JVM");
        long pid = ProcessHandle.current().pid();
        for (int i = 1; i <= 2; i++) {
            Process kill = new ProcessBuilder("kill", "-USR1", Long.toString(pid)).inheritIO().start();
            assertEquals(0, kill.waitFor());
            assertTrue(ran.tryAcquire(10, TimeUnit.SECONDS), "the handler ran after signal " + i);
        }
        assertEquals(2, runs.get());
    }
}
