/** The strata command: builds a stack from the command line, owns it, and serves it over FUSE. */
module io.strata.cli {
    requires io.strata.fuse;
    requires io.strata.memory;
    requires io.strata.passthrough;
    requires io.strata.ext2;
    requires io.strata.ninep;
    requires io.strata.verity;
    requires io.strata.union;
    requires io.strata.sys;
    requires java.management;
    requires jdk.management;
    requires jdk.unsupported; // sun.misc.Signal: SIGUSR1 writes the request statistics
}
