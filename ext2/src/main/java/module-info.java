/** The ext2 image engine, and its tools (java.nio: module io.strata.nio). Pure Java: images are files. */
module io.strata.ext2 {
    requires transitive io.strata.core;
    exports io.strata.ext2;
    exports io.strata.ext2.tools;
}
