package io.strata.core.testing;

import java.util.Map;

/**
 * For stress tests: if the guarded block does not finish in time, print every thread's stack (the
 * evidence of a deadlock) and interrupt the test thread. Use with try-with-resources.
 */
public final class Watchdog implements AutoCloseable {
    private final Thread thread;
    private volatile boolean fired;

    public Watchdog(String what, long timeoutMs) {
        Thread guarded = Thread.currentThread();
        thread = Thread.ofPlatform().daemon().name("watchdog").start(() -> {
            try {
                Thread.sleep(timeoutMs);
            } catch (InterruptedException done) {
                return;
            }
            fired = true;
            StringBuilder sb = new StringBuilder("WATCHDOG: " + what + " stalled for " + timeoutMs + " ms; all threads:\n");
            for (Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
                sb.append('"').append(e.getKey().getName()).append("\" ").append(e.getKey().getState()).append('\n');
                for (StackTraceElement f : e.getValue()) sb.append("    at ").append(f).append('\n');
            }
            System.err.println(sb);
            guarded.interrupt();
        });
    }

    /** True if the timeout passed (the stacks were printed). */
    public boolean fired() {
        return fired;
    }

    @Override
    public void close() {
        thread.interrupt();
        if (fired) throw new AssertionError("stalled: see the thread dump on stderr");
    }
}
