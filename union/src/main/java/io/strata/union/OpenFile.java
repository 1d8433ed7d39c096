package io.strata.union;

/**
 * An open file of the union: the layer object the open went to and the layer's handle. A handle
 * opened read-only on a lower file keeps reading the lower file after a copy-up (as kernel
 * overlayfs did before 4.19); opens for writing always go to the upper.
 */
record OpenFile(UnionNode node, Layer layer, long layerIno, long layerFh, int flags) {}
