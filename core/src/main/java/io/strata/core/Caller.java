package io.strata.core;

/** Who asks: credentials of the process behind a request (FUSE in-header, 9P attach, the JVM user). */
public record Caller(int uid, int gid, int pid) {
    public static final Caller ROOT = new Caller(0, 0, 0);

    public boolean isRoot() {
        return uid == 0;
    }
}
