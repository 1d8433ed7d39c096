/** The FUSE frontend: the kernel protocol over /dev/fuse, served from a core Session. */
module io.strata.fuse {
    requires transitive io.strata.core;
    requires io.strata.sys;
    exports io.strata.fuse;
}
