/** The memory backend: a tmpfs-like file system in the JVM heap. No native access. */
module io.strata.memory {
    requires transitive io.strata.core;
    exports io.strata.memory;
}
