package io.strata.ninep.wire;

/** A server's identity of a file: type bits ({@link P9#QTDIR}...), version and a unique path. 13 bytes on the wire. */
public record Qid(int type, int version, long path) {
    public static final int SIZE = 13;

    public Qid {
        type &= 0xFF;
    }
}
