/** The union stacker: overlayfs-compatible layers (whiteouts, opaque dirs, redirects, copy-up) over any file systems. Pure Java. */
module io.strata.union {
    requires transitive io.strata.core;
    exports io.strata.union;
}
