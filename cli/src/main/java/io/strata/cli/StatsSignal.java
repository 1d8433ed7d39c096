package io.strata.cli;

import sun.misc.Signal;

/**
 * SIGUSR1 for a mount daemon: runs an action (writing the request statistics to the log) instead
 * of the default, which would end the process. The JDK dispatches the signal on its own thread, so
 * the action runs outside any signal context and may print freely.
 */
final class StatsSignal {
    private StatsSignal() {}

    /** Installs {@code action} for SIGUSR1; false (and nothing changes) if the JVM reserves the signal. */
    static boolean install(Runnable action) {
        try {
            Signal.handle(new Signal("USR1"), sig -> action.run());
            return true;
        } catch (IllegalArgumentException reserved) { // e.g. -Xrs, or a VM that uses SIGUSR1 itself
            return false;
        }
    }
}
