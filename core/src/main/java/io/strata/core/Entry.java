package io.strata.core;

/**
 * The answer to a name: which inode (id + generation), its attributes and how long the caller may
 * cache the name and the attributes. Every Entry a file system hands out from lookup, create, mkdir,
 * mknod, symlink, link or tmpfile counts as one lookup reference on that inode, released by
 * {@link FileSystem#forget}.
 */
public record Entry(long ino, long generation, Attr attr, long entryTimeoutNs, long attrTimeoutNs) {}
