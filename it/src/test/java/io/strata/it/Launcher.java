package io.strata.it;

import java.nio.file.Path;

/** The `strata` launcher script, exactly as users run it (module path, native access for io.strata.sys only). */
final class Launcher {
    private Launcher() {}

    static final String STRATA = Sh.q(Path.of(System.getProperty("strata.launcher")).toAbsolutePath());

    /** The repository the launcher lives in (docs, examples). */
    static final Path REPO = Path.of(System.getProperty("strata.launcher")).toAbsolutePath().getParent();
}
