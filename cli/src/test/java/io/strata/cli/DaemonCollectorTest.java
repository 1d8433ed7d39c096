package io.strata.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The daemon's collector: serial for off-heap backends, G1 (the default) where file data lives on the heap. */
class DaemonCollectorTest {
    @Test
    void serialForDiskBackendsG1ForMemory() {
        assumeTrue(ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .noneMatch(a -> a.startsWith("-XX:+Use") && a.endsWith("GC")), "the test JVM picks its own collector");
        assertEquals(List.of("-XX:+UseSerialGC"), Daemon.collector(List.of("ext2", "/tmp/img", "/tmp/m")));
        assertEquals(List.of("-XX:+UseSerialGC"), Daemon.collector(List.of("/srv/data", "/tmp/m", "-o", "cache=shared")));
        assertEquals(List.of(), Daemon.collector(List.of("memory", "/tmp/m")));
        assertEquals(List.of(), Daemon.collector(List.of("union", "/tmp/m", "-o", "lowerdir=ext2:/i,upperdir=memory:")));
    }
}
