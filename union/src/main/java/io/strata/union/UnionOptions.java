package io.strata.union;

import io.strata.core.CacheMode;
import io.strata.core.Caller;
import java.util.List;
import java.util.Objects;

/**
 * Configuration of a {@link UnionFileSystem}.
 *
 * @param lowers     read-only layers, top first (at least one)
 * @param upper      the writable layer, or null for a read-only union (every change: EROFS)
 * @param work       scratch directory for atomic copy-up and whiteouts; must be on the same file
 *                   system instance as {@code upper} (copy-up renames from it); required with an upper
 * @param copyMode   owner/mode of copied-up objects (only TRANSPARENT in this slice)
 * @param whiteouts  when removals leave whiteouts
 * @param xattrs     the namespace of the overlay xattrs (trusted, or user = {@code userxattr})
 * @param cache      cache mode the union's replies advertise
 * @param mounter    the privileged identity the union uses for its own layer calls (usually root)
 * @param redirects  {@code redirect_dir=}: renaming lower/merged directories, following redirects
 *                   (default {@link RedirectMode#ON})
 */
public record UnionOptions(List<UnionLayer> lowers, UnionLayer upper, UnionLayer work, CopyMode copyMode,
                           WhiteoutMode whiteouts, XattrNamespace xattrs, CacheMode cache, Caller mounter,
                           RedirectMode redirects) {
    public UnionOptions {
        lowers = List.copyOf(Objects.requireNonNull(lowers, "lowers"));
        if (lowers.isEmpty()) throw new IllegalArgumentException("a union needs at least one lower layer");
        if (upper != null && work == null) throw new IllegalArgumentException("an upper layer needs a work dir");
        if (upper == null && work != null) throw new IllegalArgumentException("a work dir needs an upper layer");
        if (upper != null && upper.fs() != work.fs()) {
            throw new IllegalArgumentException("the work dir must be on the upper layer's file system");
        }
        if (upper != null && upper.rootIno() == work.rootIno()) {
            throw new IllegalArgumentException("the work dir must not be the upper dir");
        }
        if (copyMode == null) copyMode = CopyMode.TRANSPARENT;
        if (whiteouts == null) whiteouts = WhiteoutMode.WHENNEEDED;
        if (xattrs == null) xattrs = XattrNamespace.TRUSTED;
        if (cache == null) cache = CacheMode.EXCLUSIVE;
        if (mounter == null) mounter = Caller.ROOT;
        if (redirects == null) redirects = RedirectMode.ON;
    }

    /** The options with the default redirect mode (on). */
    public UnionOptions(List<UnionLayer> lowers, UnionLayer upper, UnionLayer work, CopyMode copyMode,
                        WhiteoutMode whiteouts, XattrNamespace xattrs, CacheMode cache, Caller mounter) {
        this(lowers, upper, work, copyMode, whiteouts, xattrs, cache, mounter, null);
    }

    /** A writable union with the defaults (transparent, whenneeded, trusted.overlay., exclusive, root). */
    public static UnionOptions of(List<UnionLayer> lowers, UnionLayer upper, UnionLayer work) {
        return new UnionOptions(lowers, upper, work, null, null, null, null, null, null);
    }

    /** A read-only union of {@code lowers}. */
    public static UnionOptions readOnly(List<UnionLayer> lowers) {
        return new UnionOptions(lowers, null, null, null, null, null, null, null, null);
    }

    public UnionOptions withCopyMode(CopyMode m) {
        return new UnionOptions(lowers, upper, work, m, whiteouts, xattrs, cache, mounter, redirects);
    }

    public UnionOptions withWhiteouts(WhiteoutMode m) {
        return new UnionOptions(lowers, upper, work, copyMode, m, xattrs, cache, mounter, redirects);
    }

    public UnionOptions withXattrs(XattrNamespace ns) {
        return new UnionOptions(lowers, upper, work, copyMode, whiteouts, ns, cache, mounter, redirects);
    }

    public UnionOptions withCache(CacheMode m) {
        return new UnionOptions(lowers, upper, work, copyMode, whiteouts, xattrs, m, mounter, redirects);
    }

    public UnionOptions withMounter(Caller c) {
        return new UnionOptions(lowers, upper, work, copyMode, whiteouts, xattrs, cache, c, redirects);
    }

    public UnionOptions withRedirects(RedirectMode m) {
        return new UnionOptions(lowers, upper, work, copyMode, whiteouts, xattrs, cache, mounter, m);
    }
}
