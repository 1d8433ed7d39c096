package io.strata.union;

import static io.strata.core.FileType.S_IFDIR;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.strata.core.FileSystem;
import io.strata.core.FsException;
import io.strata.core.Name;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.AfterEach;

/**
 * The core contract where every name the contract uses already exists in the lower layer (files
 * and directories with contents) and is whited out in the upper: the union starts empty, and every
 * create, mkdir, rename, unlink and rmdir of the contract goes through the whiteout paths (create
 * over a whiteout, opaque mkdir, whiteouts left behind by removals and renames).
 */
class UnionOverLowerContractTest extends UnionContractTest {
    static final List<String> NAMES = List.of("a", "b", "c", "d", "e", "f", "g", "l", "l2", "x", "p1", "p2", "pub",
            "tmp", "secret", "shared", "readable", "setuid", "suid", "lockfile", "priv", "mine", "own", "own2",
            "again", "alices", "bobs", "pinned", "sub", "inside", "stable-0", "churn-0", "new-0", "f0");

    private Stack prepared;

    /** Whatever the contract did through the union, the lower layer is exactly as it was. */
    @AfterEach
    void lowerIsUntouched() throws Exception {
        if (prepared == null) return;
        FileSystem lower = prepared.lowers.get(0);
        assertEquals(new HashSet<>(NAMES), new HashSet<>(Stack.list(lower, FileSystem.ROOT)));
        for (int i = 0; i < NAMES.size(); i += 2) {
            assertEquals("lower data of " + NAMES.get(i),
                    Stack.read(lower, Stack.find(lower, FileSystem.ROOT, NAMES.get(i) + "/inside").ino()));
        }
    }

    @Override
    protected void prepare(Stack st) throws FsException {
        prepared = st;
        FileSystem lower = st.lowers.get(0);
        for (int i = 0; i < NAMES.size(); i++) {
            String n = NAMES.get(i);
            if (i % 2 == 0) {
                long d = lower.mkdir(Stack.ROOT, FileSystem.ROOT, Name.of(n), S_IFDIR | 0755, 0).ino();
                Stack.put(lower, d, "inside", "lower data of " + n);
                Stack.put(lower, d, "sub", "x");
            } else {
                Stack.put(lower, FileSystem.ROOT, n, "lower " + n);
            }
            Stack.whiteout(st.upperFs, st.upperDir, n);
        }
    }
}
