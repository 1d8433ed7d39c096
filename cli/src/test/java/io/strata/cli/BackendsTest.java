package io.strata.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.core.CacheMode;
import io.strata.core.Caller;
import io.strata.core.FileSystem;
import io.strata.passthrough.PassthroughOptions;
import io.strata.sys.Libc;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How the CLI builds each backend from its options. */
class BackendsTest {
    @Test
    void theMemoryRootBelongsToTheUserRunningTheCommand() throws Exception {
        MountOptions o = MountOptions.parse(List.of("size=16M"), CacheMode.EXCLUSIVE);
        try (FileSystem fs = Backends.open(Backends.Kind.MEMORY, null, o)) {
            var root = fs.getattr(Caller.ROOT, FileSystem.ROOT, -1).attr();
            assertEquals(Libc.getuid(), root.uid());
            assertEquals(Libc.getgid(), root.gid());
            assertEquals(CacheMode.EXCLUSIVE, fs.cachePolicy().mode());
        }
    }

    @Test
    void passthroughHandlesDefaultIsTheBackendsOwn() throws Exception {
        MountOptions none = MountOptions.parse(List.of(), CacheMode.SHARED);
        assertEquals(PassthroughOptions.defaults().handles(), Backends.passthroughOptions(none).handles());
        MountOptions never = MountOptions.parse(List.of("handles=never,cache=writethrough"), CacheMode.SHARED);
        assertEquals(PassthroughOptions.Handles.NEVER, Backends.passthroughOptions(never).handles());
        assertEquals(CacheMode.WRITETHROUGH, Backends.passthroughOptions(never).mode());
        assertTrue(MountCommand.HELP.contains("(default " + Backends.defaultHandles() + ")"), MountCommand.HELP);
    }

    @Test
    void defaultPermissionsStayOnUnlessTurnedOff() throws Exception {
        assertTrue(MountOptions.parse(List.of(), CacheMode.SHARED).defaultPermissions());
        assertFalse(MountOptions.parse(List.of("nodefault_permissions"), CacheMode.SHARED).defaultPermissions());
    }
}
