package io.strata.union;

import io.strata.core.Name;

/** Where a union node was last seen: its parent directory node and its name there. */
record Place(UnionNode parent, Name name) {}
