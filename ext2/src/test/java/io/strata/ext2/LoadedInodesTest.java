package io.strata.ext2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The open-addressing table of loaded inodes agrees with a HashMap under random puts and removes. */
class LoadedInodesTest {

    @Test
    void agreesWithAHashMap() {
        LoadedInodes t = new LoadedInodes();
        Map<Integer, Ext2Inode> ref = new HashMap<>();
        Random r = new Random(42);
        for (int step = 0; step < 400_000; step++) {
            // a narrow key range in phases makes long probe chains, wrap-around and shrinking happen
            int range = (step / 50_000) % 2 == 0 ? 5_000 : 300;
            int n = 1 + r.nextInt(range);
            if (r.nextInt(3) == 0) {
                t.remove(n);
                ref.remove(n);
            } else {
                Ext2Inode in = new Ext2Inode(n, new byte[256]);
                t.put(in);
                ref.put(n, in);
            }
            if (step % 997 == 0) {
                assertEquals(ref.size(), t.size());
                for (int k = 1; k <= 5_000; k++) assertSame(ref.get(k), t.get(k), "inode " + k);
            }
        }
        assertEquals(ref.size(), t.matching(x -> true).size());
    }
}
