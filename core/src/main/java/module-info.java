/** The Strata SPI and its shared toolkit: pure Java, no native access. */
module io.strata.core {
    exports io.strata.core;
    exports io.strata.core.inode;
    exports io.strata.core.locks;
}
