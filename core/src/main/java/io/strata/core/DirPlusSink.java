package io.strata.core;

/**
 * Receives entries from {@link FileSystem#readdirplus}: each name with its {@link Entry} (one lookup
 * reference), or a null entry for "." and ".." and for names that vanished while listing. If
 * {@code add} returns false the entry was not taken: the file system drops the reference it added
 * and stops; the caller resumes later with the cookie of the last accepted entry.
 */
@FunctionalInterface
public interface DirPlusSink {
    boolean add(Name name, long ino, int dtype, long nextCookie, Entry entry);
}
