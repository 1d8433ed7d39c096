/** The java.nio frontend: a java.nio.file.FileSystem over any Strata stack (scheme "strata"). */
module io.strata.nio {
    requires transitive io.strata.core;
    requires io.strata.ext2;
    requires io.strata.memory;
    requires io.strata.passthrough;
    exports io.strata.nio;
    provides java.nio.file.spi.FileSystemProvider with io.strata.nio.StrataFileSystemProvider;
}
