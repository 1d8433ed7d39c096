/** 9P2000.L: the wire codec, a server that exports any Strata file system, and a client backend. Pure Java. */
module io.strata.ninep {
    requires transitive io.strata.core;
    exports io.strata.ninep;
    exports io.strata.ninep.wire;
    exports io.strata.ninep.client;
}
