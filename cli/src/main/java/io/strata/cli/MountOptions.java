package io.strata.cli;

import java.nio.file.Path;

import io.strata.core.CacheMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The {@code -o a,b=c} options of {@code strata mount}, validated up front so an impossible
 * combination is refused before anything is mounted.
 */
record MountOptions(CacheMode cache, long sizeBytes, boolean readOnly, boolean allowOther,
                    boolean defaultPermissions, String handles, boolean dev, boolean passthrough,
                    long cacheBytes, boolean writeback, long vfsFlags, UnionStack.Spec union, boolean verity, Path manifest) {

    static final String KNOWN = "size=, cache=exclusive|writethrough|shared, ro, rw, allow_other, "
            + "default_permissions, nodefault_permissions, handles=never|prefer|mandatory, dev, nodev, "
            + "passthrough=on|off, cache_size=, writeback, nowriteback, verity, manifest=, lowerdir=, upperdir=, workdir=, "
            + "copymode=, whiteout=, redirect_dir=, userxattr, and the generic ones: " + Generic.KNOWN;

    /** Parses every -o value given (they accumulate, later ones win). */
    static MountOptions parse(List<String> values, CacheMode defaultCache) throws UsageException {
        return parse(values, defaultCache, true);
    }

    /** As {@link #parse(List, CacheMode)}; {@code writebackByDefault}: the backend's default in exclusive. */
    static MountOptions parse(List<String> values, CacheMode defaultCache, boolean writebackByDefault) throws UsageException {
        // In the order given: later options win, also among flags that exclude each other (noatime, relatime).
        List<Map.Entry<String, String>> opts = new ArrayList<>();
        for (String v : values) {
            for (String o : v.split(",")) {
                if (o.isBlank()) continue;
                int eq = o.indexOf('=');
                opts.add(new java.util.AbstractMap.SimpleEntry<>(eq < 0 ? o : o.substring(0, eq), eq < 0 ? null : o.substring(eq + 1)));
            }
        }
        CacheMode cache = defaultCache;
        long size = 0, cacheBytes = 64L << 20;
        boolean ro = false, allowOther = false, defPerm = true, dev = false, passthrough = true;
        Boolean writeback = null; // default: on exactly in exclusive
        String handles = null;
        String lowerdir = null, upperdir = null, workdir = null, copyMode = null, whiteout = null, redirectDir = null;
        boolean userxattr = false, verity = false;
        Path manifest = null;
        List<String> unknown = new ArrayList<>();
        long vfs = io.strata.fuse.FuseConfig.DEFAULT_VFS_FLAGS;
        for (Map.Entry<String, String> e : opts) {
            String k = e.getKey(), v = e.getValue();
            if (Generic.ignored(k)) continue;
            long[] change = Generic.flag(k);
            if (change != null) {
                vfs = (vfs & ~change[0]) | change[1];
                if (k.equals("dev")) dev = true;
                if (k.equals("nodev")) dev = false;
                continue;
            }
            switch (k) {
                case "size" -> size = parseSize(need(k, v));
                case "cache_size" -> cacheBytes = parseSize(need(k, v));
                case "cache" -> {
                    try {
                        cache = CacheMode.parse(need(k, v));
                    } catch (IllegalArgumentException ex) {
                        throw new UsageException(ex.getMessage());
                    }
                }
                case "lowerdir" -> lowerdir = need(k, v);
                case "upperdir" -> upperdir = need(k, v);
                case "workdir" -> workdir = need(k, v);
                case "copymode" -> copyMode = need(k, v);
                case "whiteout" -> whiteout = need(k, v);
                case "redirect_dir" -> redirectDir = need(k, v);
                case "userxattr" -> userxattr = true;
                case "verity" -> verity = true;
                case "manifest" -> {
                    manifest = Path.of(need(k, v)).toAbsolutePath().normalize();
                    verity = true; // a manifest pins a verity layer
                }
                case "ro" -> ro = true;
                case "writeback" -> writeback = true;
                case "nowriteback" -> writeback = false;
                case "rw" -> ro = false;
                case "allow_other" -> allowOther = true;
                case "default_permissions" -> defPerm = true;
                case "nodefault_permissions" -> defPerm = false;
                case "handles" -> {
                    handles = need(k, v).toLowerCase(Locale.ROOT);
                    if (!List.of("never", "prefer", "mandatory").contains(handles)) {
                        throw new UsageException("handles must be never, prefer or mandatory, not '" + v + "'");
                    }
                }
                case "passthrough" -> {
                    String p = need(k, v).toLowerCase(Locale.ROOT);
                    if (!p.equals("on") && !p.equals("off")) throw new UsageException("passthrough must be on or off");
                    passthrough = p.equals("on");
                }
                default -> {
                    if (!unknown.contains(k)) unknown.add(k);
                }
            }
        }
        if (!unknown.isEmpty()) {
            throw new UsageException("unknown mount option" + (unknown.size() > 1 ? "s " : " ") + String.join(", ", unknown)
                    + " (known: " + KNOWN + ")");
        }
        if (Boolean.TRUE.equals(writeback) && cache != CacheMode.EXCLUSIVE) {
            throw new UsageException("writeback needs cache=exclusive");
        }
        boolean wb = writeback != null ? writeback : cache == CacheMode.EXCLUSIVE && writebackByDefault;
        UnionStack.Spec union = new UnionStack.Spec(lowerdir, upperdir, workdir, copyMode, whiteout, userxattr, redirectDir);
        return new MountOptions(cache, size, ro, allowOther, defPerm, handles, dev, passthrough, cacheBytes, wb, vfs,
                union.isUnion() ? union : null, verity, manifest);
    }

    private static String need(String key, String value) throws UsageException {
        if (value == null || value.isEmpty()) throw new UsageException("mount option " + key + " needs a value (" + key + "=...)");
        return value;
    }

    /** "512M", "2g", "1048576", "10%"-less sizes: K/M/G/T suffixes, powers of 1024. */
    static long parseSize(String s) throws UsageException {
        String t = s.trim().toUpperCase(Locale.ROOT);
        if (t.endsWith("B") && t.length() > 1 && !Character.isDigit(t.charAt(t.length() - 2))) t = t.substring(0, t.length() - 1);
        long mult = 1;
        char last = t.isEmpty() ? ' ' : t.charAt(t.length() - 1);
        switch (last) {
            case 'K' -> mult = 1L << 10;
            case 'M' -> mult = 1L << 20;
            case 'G' -> mult = 1L << 30;
            case 'T' -> mult = 1L << 40;
            default -> { }
        }
        if (mult > 1) t = t.substring(0, t.length() - 1);
        try {
            long n = Long.parseLong(t);
            if (n <= 0 || n > Long.MAX_VALUE / mult) throw new NumberFormatException();
            return n * mult;
        } catch (NumberFormatException e) {
            throw new UsageException("bad size '" + s + "' (examples: 512M, 2G, 1048576)");
        }
    }
}
