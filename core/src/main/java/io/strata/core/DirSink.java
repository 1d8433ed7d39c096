package io.strata.core;

/**
 * Receives directory entries from {@link FileSystem#readdir}. {@code nextCookie} is the cookie that
 * resumes the listing right after this entry. Returns false when full: the file system stops and
 * the caller comes back later with that cookie.
 */
@FunctionalInterface
public interface DirSink {
    boolean add(Name name, long ino, int dtype, long nextCookie);
}
