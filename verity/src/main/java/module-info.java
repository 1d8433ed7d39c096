/** The verity stacker: fs-verity-identical digests (Merkle trees) and verified reads over any file system. Pure Java. */
module io.strata.verity {
    requires transitive io.strata.core;
    requires java.logging;
    exports io.strata.verity;
}
