package io.strata.ninep.client;

import io.strata.ninep.wire.P9;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * RPC accounting of one client: requests sent per 9P message type and per SPI operation, so a
 * test can assert round-trip counts and the daemon can log them at unmount. Thread-safe (adders
 * in concurrent maps; no lock).
 */
public final class RpcStats {
    private static final Map<Integer, String> TYPE_NAMES = typeNames();

    private final ConcurrentHashMap<Integer, LongAdder> byType = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, LongAdder> byOperation = new ConcurrentHashMap<>();

    /** One request of wire type {@code type} sent. */
    public void sent(int type) {
        byType.computeIfAbsent(type, t -> new LongAdder()).increment();
    }

    /** One SPI operation started (e.g. "lookup", "read"). */
    public void operation(String name) {
        byOperation.computeIfAbsent(name, n -> new LongAdder()).increment();
    }

    public long sent(String typeName) {
        for (Map.Entry<Integer, LongAdder> e : byType.entrySet())
            if (name(e.getKey()).equals(typeName)) return e.getValue().sum();
        return 0;
    }

    public long total() {
        return byType.values().stream().mapToLong(LongAdder::sum).sum();
    }

    public long operations(String name) {
        LongAdder a = byOperation.get(name);
        return a == null ? 0 : a.sum();
    }

    /** Message type name, e.g. {@code Twalk}, or {@code T<number>} if unknown. */
    public static String name(int type) {
        return TYPE_NAMES.getOrDefault(type, "T" + type);
    }

    /** Two lines, sorted by name: {@code rpcs: Tgetattr=3 Twalk=2 ...} and {@code ops: lookup=2 ...}. */
    public String toText() {
        TreeMap<String, Long> t = new TreeMap<>();
        byType.forEach((k, v) -> t.put(name(k), v.sum()));
        TreeMap<String, Long> o = new TreeMap<>();
        byOperation.forEach((k, v) -> o.put(k, v.sum()));
        StringBuilder sb = new StringBuilder("rpcs:");
        t.forEach((k, v) -> sb.append(' ').append(k).append('=').append(v));
        sb.append(" total=").append(total()).append("\nops:");
        o.forEach((k, v) -> sb.append(' ').append(k).append('=').append(v));
        return sb.toString();
    }

    // Names from P9's T* constants ("TWALKGETATTR" -> "Twalkgetattr"), so the list never drifts.
    private static Map<Integer, String> typeNames() {
        Map<Integer, String> m = new TreeMap<>();
        for (Field f : P9.class.getFields()) {
            if (!Modifier.isStatic(f.getModifiers()) || f.getType() != int.class) continue;
            String n = f.getName();
            if (!n.startsWith("T")) continue;
            try {
                m.put(f.getInt(null), "T" + n.substring(1).toLowerCase(java.util.Locale.ROOT));
            } catch (IllegalAccessException e) {
                throw new AssertionError(e);
            }
        }
        return Map.copyOf(m);
    }
}
