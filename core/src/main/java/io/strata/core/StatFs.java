package io.strata.core;

/** File-system usage, as statfs(2) reports it (block counts in units of {@code frsize}). */
public record StatFs(long blocks, long bfree, long bavail, long files, long ffree, int bsize, int namelen,
                     int frsize) {}
