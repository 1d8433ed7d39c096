package io.strata.union;

/**
 * An object in one layer that a union node holds one lookup reference on. For directories,
 * {@code xattrWhiteouts} says the directory is marked opaque="x" (it may hold xattr whiteouts).
 */
record LayerRef(Layer layer, long ino, boolean xattrWhiteouts) {
    Key key() {
        return new Key(layer.index, ino);
    }

    /** Identity of a layer object in the union's registry. */
    record Key(int layer, long ino) {}
}
