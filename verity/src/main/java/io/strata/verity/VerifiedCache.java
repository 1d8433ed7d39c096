package io.strata.verity;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Recently used verified trees by (inode, descriptor), so reopening a verity file neither reloads
 * and rehashes its tree nor forgets which blocks were verified. Keyed by the descriptor too: a
 * file whose descriptor changed below (another stack, an offline edit) gets a fresh tree. Bounded
 * by the bytes the trees hold; least recently used first out.
 *
 * <p>Locking: its own monitor, a leaf (nothing is called while holding it).
 */
final class VerifiedCache {
    private record Key(long ino, VerityDescriptor descriptor) {}

    private final long budget;
    private long used;
    private final LinkedHashMap<Key, VerifiedFile> map = new LinkedHashMap<>(16, 0.75f, true);

    VerifiedCache(long budgetBytes) {
        this.budget = budgetBytes;
    }

    /** Inodes whose data changed below: their trees' bitmaps must be cleared (lock-free producer). */
    private final java.util.concurrent.ConcurrentLinkedQueue<Long> changed = new java.util.concurrent.ConcurrentLinkedQueue<>();

    /** Called from invalidation callbacks: only queues. */
    void changed(long ino) {
        changed.add(ino);
    }

    private void drainChanged() {
        for (Long ino; (ino = changed.poll()) != null; ) {
            long i = ino;
            map.entrySet().removeIf(e -> {
                if (e.getKey().ino() != i) return false;
                used -= e.getValue().footprint(); // never map.get here: it reorders an access-ordered map
                return true;
            });
        }
    }

    synchronized VerifiedFile get(long ino, VerityDescriptor d) {
        drainChanged();
        return map.get(new Key(ino, d));
    }

    synchronized void put(long ino, VerifiedFile f) {
        drainChanged();
        VerifiedFile old = map.put(new Key(ino, f.descriptor()), f);
        if (old != null) used -= old.footprint();
        used += f.footprint();
        Iterator<Map.Entry<Key, VerifiedFile>> it = map.entrySet().iterator();
        while (used > budget && it.hasNext()) {
            Map.Entry<Key, VerifiedFile> e = it.next();
            if (e.getValue() == f) continue;
            used -= e.getValue().footprint();
            it.remove();
        }
    }
}
