/** The passthrough backend: a host directory, jailed, served with the caller's credentials. */
module io.strata.passthrough {
    requires transitive io.strata.core;
    requires io.strata.sys;
    exports io.strata.passthrough;
}
