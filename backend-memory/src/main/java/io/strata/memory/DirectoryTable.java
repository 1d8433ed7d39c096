package io.strata.memory;

import io.strata.core.FsException;
import io.strata.core.Name;
import java.util.Arrays;

/**
 * The entries of one directory, designed for two things: a few dozen bytes per entry (a million
 * entries must fit in a small heap) and readdir cookies that stay valid while entries come and go.
 *
 * <h2>Layout</h2>
 * Parallel arrays indexed by <em>slot</em>, in insertion order: {@code cookies[slot]} (long, strictly
 * increasing), {@code inos[slot]} and {@code nameAt[slot]}, an offset into one shared byte heap
 * where each name is stored as a length byte followed by its bytes (as given: names are byte
 * strings, never decoded). No per-entry objects.
 * A removed entry becomes a tombstone ({@code nameAt == -1}); when tombstones make up half the
 * slots, {@link #compact} squeezes them out, keeping order and cookies.
 *
 * <h2>Cookies</h2>
 * Each insertion takes the next per-directory cookie (starting at 3; 1 and 2 are "." and "..").
 * Resuming after cookie c = the first live slot whose cookie is > c, found by binary search (cookies
 * are sorted because slots are in insertion order, and compaction keeps that order). So an entry
 * that survives between two readdir calls is neither skipped nor repeated, whatever was inserted,
 * removed or compacted meanwhile.
 *
 * <h2>Lookup</h2>
 * Up to {@link #SMALL} slots: linear scan. Beyond: an open-addressing hash of slot numbers (+1,
 * 0 = empty). Tombstoned slots stay in the hash (probing steps over them) until compaction rebuilds
 * it, so removal never breaks a probe chain.
 *
 * <p>Not thread-safe: guarded by the file system's namespace lock.
 */
final class DirectoryTable {
    static final long FIRST_COOKIE = 3;
    private static final int SMALL = 8;
    private static final long[] NO_LONGS = {};
    private static final int[] NO_INTS = {};
    private static final byte[] NO_BYTES = {};

    private long[] cookies = NO_LONGS;
    private int[] inos = NO_INTS;
    private int[] nameAt = NO_INTS;
    private byte[] heap = NO_BYTES;
    private int heapUsed;
    private int slots; // used slots, tombstones included
    private int live;
    private long nextCookie = FIRST_COOKIE;
    private int[] hash; // null while slots <= SMALL

    int size() {
        return live;
    }

    boolean isEmpty() {
        return live == 0;
    }

    // ---- lookup ----

    /** The slot holding {@code name}, or -1. */
    int find(Name name) {
        if (hash == null) {
            for (int s = 0; s < slots; s++) if (nameAt[s] >= 0 && nameEquals(s, name)) return s;
            return -1;
        }
        int mask = hash.length - 1;
        for (int h = hashOf(name) & mask; ; h = (h + 1) & mask) {
            int v = hash[h];
            if (v == 0) return -1;
            int s = v - 1;
            if (nameAt[s] >= 0 && nameEquals(s, name)) return s;
        }
    }

    int ino(int slot) {
        return inos[slot];
    }

    long cookie(int slot) {
        return cookies[slot];
    }

    boolean isLive(int slot) {
        return nameAt[slot] >= 0;
    }

    /** The name in a live slot (a new Name: the heap moves on compaction). */
    Name name(int slot) {
        int at = nameAt[slot];
        try {
            return Name.of(heap, at + 1, heap[at] & 0xff);
        } catch (FsException e) {
            throw new IllegalStateException("stored name is invalid", e); // only valid Names are inserted
        }
    }

    /** Repoints an existing entry (rename over an existing name keeps the name's cookie). */
    void setIno(int slot, int ino) {
        inos[slot] = ino;
    }

    // ---- readdir ----

    /** The first slot whose cookie is > {@code cookie} (may be a tombstone), or {@link #slotCount()}. */
    int firstSlotAfter(long cookie) {
        int i = Arrays.binarySearch(cookies, 0, slots, cookie);
        return i >= 0 ? i + 1 : -i - 1;
    }

    int slotCount() {
        return slots;
    }

    // ---- changes ----

    /** Appends a new entry (caller checked that the name is absent); returns its slot. */
    int insert(Name name, int ino) {
        int len = name.length();
        if (slots == cookies.length) makeRoom();
        if (heapUsed + 1 + len > heap.length) {
            heap = Arrays.copyOf(heap, Math.max(heap.length + (heap.length >> 1), heapUsed + 1 + len) + 16);
        }
        int s = slots++;
        cookies[s] = nextCookie++;
        inos[s] = ino;
        nameAt[s] = heapUsed;
        heap[heapUsed] = (byte) len;
        name.copyTo(heap, heapUsed + 1);
        heapUsed += 1 + len;
        live++;
        if (hash != null) {
            if (slots * 4 > hash.length * 3) rebuildHash(hash.length * 2);
            else hashInsert(s);
        } else if (slots > SMALL) {
            rebuildHash(tableSizeFor(cookies.length));
        }
        return s;
    }

    /** Removes the entry in {@code slot} (a tombstone until the next compaction). */
    void remove(int slot) {
        nameAt[slot] = -1;
        live--;
        if (live == 0) {
            clear();
        } else if (slots > SMALL && live * 2 < slots) {
            compact();
        }
    }

    private void clear() {
        cookies = NO_LONGS;
        inos = NO_INTS;
        nameAt = NO_INTS;
        heap = NO_BYTES;
        heapUsed = 0;
        slots = 0;
        hash = null;
        // nextCookie keeps counting: cookies handed out earlier must never be reused
    }

    private void makeRoom() {
        if (slots > SMALL && live * 4 < slots * 3) { // >= 25% tombstones: reclaim instead of growing
            compact();
            if (slots < cookies.length) return;
        }
        int cap = Math.max(4, slots + (slots >> 1));
        cookies = Arrays.copyOf(cookies, cap);
        inos = Arrays.copyOf(inos, cap);
        nameAt = Arrays.copyOf(nameAt, cap);
    }

    /** Squeezes out tombstones and dead name bytes, keeping slot order (hence cookie order). */
    private void compact() {
        byte[] newHeap = new byte[heapUsed];
        int h = 0, d = 0;
        for (int s = 0; s < slots; s++) {
            int at = nameAt[s];
            if (at < 0) continue;
            int len = 1 + (heap[at] & 0xff);
            System.arraycopy(heap, at, newHeap, h, len);
            cookies[d] = cookies[s];
            inos[d] = inos[s];
            nameAt[d] = h;
            h += len;
            d++;
        }
        slots = d;
        int cap = Math.max(4, d + (d >> 1));
        if (cap < cookies.length) { // shrink arrays too, a directory that emptied should not stay big
            cookies = Arrays.copyOf(cookies, cap);
            inos = Arrays.copyOf(inos, cap);
            nameAt = Arrays.copyOf(nameAt, cap);
        }
        heap = Arrays.copyOf(newHeap, h + (h >> 2) + 16);
        heapUsed = h;
        if (slots > SMALL) rebuildHash(tableSizeFor(cookies.length));
        else hash = null;
    }

    private static int tableSizeFor(int entries) {
        int n = Integer.highestOneBit(Math.max(16, entries * 4 / 3 + 1));
        return n < entries * 4 / 3 + 1 ? n * 2 : n;
    }

    private void rebuildHash(int size) {
        hash = new int[size];
        for (int s = 0; s < slots; s++) if (nameAt[s] >= 0) hashInsert(s); // tombstones are not indexed
    }

    private void hashInsert(int s) {
        int at = nameAt[s];
        int mask = hash.length - 1;
        int h = hashOf(heap, at + 1, heap[at] & 0xff) & mask;
        while (hash[h] != 0) h = (h + 1) & mask;
        hash[h] = s + 1;
    }

    private boolean nameEquals(int s, Name name) {
        int at = nameAt[s];
        return name.equalsBytes(heap, at + 1, heap[at] & 0xff);
    }

    /** FNV-1a over the stored bytes; {@link #hashOf(Name)} must give the same value for the same bytes. */
    private static int hashOf(byte[] b, int off, int len) {
        int h = 0x811c9dc5;
        for (int i = off; i < off + len; i++) h = (h ^ b[i]) * 0x01000193;
        return h ^ (h >>> 15);
    }

    private static int hashOf(Name name) {
        int h = 0x811c9dc5;
        for (int i = 0, len = name.length(); i < len; i++) h = (h ^ name.byteAt(i)) * 0x01000193;
        return h ^ (h >>> 15);
    }
}
