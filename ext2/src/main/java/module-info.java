/** The ext2 image engine, its tools and its java.nio provider. Pure Java: images are files. */
module io.strata.ext2 {
    requires transitive io.strata.core;
    exports io.strata.ext2;
    exports io.strata.ext2.nio;
    exports io.strata.ext2.tools;
    provides java.nio.file.spi.FileSystemProvider with io.strata.ext2.nio.Ext2FileSystemProvider;
}
