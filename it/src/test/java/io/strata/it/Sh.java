package io.strata.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Runs a bash command line with a time limit; returns status and combined output. */
record Sh(int code, String out) {
    static Sh run(String cmd) throws IOException, InterruptedException {
        return run(cmd, null, 300);
    }

    static Sh run(String cmd, Path cwd, int timeoutSeconds) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder("bash", "-c", cmd).redirectErrorStream(true);
        if (cwd != null) pb.directory(cwd.toFile());
        Process p = pb.start();
        var out = new java.io.ByteArrayOutputStream();
        Thread pump = Thread.ofPlatform().start(() -> {
            try {
                p.getInputStream().transferTo(out);
            } catch (IOException ignored) {
                // process gone
            }
        });
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            pump.join(1000);
            throw new IOException("timed out after " + timeoutSeconds + " s: " + cmd + "\n" + out);
        }
        pump.join();
        return new Sh(p.exitValue(), out.toString(StandardCharsets.UTF_8));
    }

    /** Runs and requires exit status 0; returns the output. */
    static String ok(String cmd) throws IOException, InterruptedException {
        Sh r = run(cmd);
        assertEquals(0, r.code, () -> "command failed: " + cmd + "\n" + r.out);
        return r.out;
    }

    /** rm -rf, for test cleanup. */
    static void rm(Path p) {
        try {
            run("rm -rf " + q(p));
        } catch (IOException e) {
            // best effort
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static String q(Path p) {
        return q(p.toString());
    }

    /** Single-quotes {@code s} for bash. */
    static String q(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
