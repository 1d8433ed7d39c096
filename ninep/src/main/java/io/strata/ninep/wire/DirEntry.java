package io.strata.ninep.wire;

import io.strata.core.Name;

/**
 * One entry of an Rreaddir payload: qid, the cookie of the next entry, d_type and name.
 * {@link DirEntries} packs and unpacks them.
 */
public record DirEntry(Qid qid, long nextOffset, int type, Name name) {
    /** Bytes this entry takes on the wire. */
    public int size() {
        return Qid.SIZE + 8 + 1 + 2 + name.length();
    }
}
