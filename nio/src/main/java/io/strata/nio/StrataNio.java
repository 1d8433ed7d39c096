package io.strata.nio;

import io.strata.core.Caller;
import io.strata.core.FileSystem;

/**
 * java.nio over any Strata stack, from Java:
 * <pre>{@code
 * FileSystem stack = ...;                                  // memory, passthrough, ext2, a union, verity
 * try (java.nio.file.FileSystem nio = StrataNio.open(stack, Caller.of(1000, 1000))) {
 *     Files.writeString(nio.getPath("/hello.txt"), "hi");  // checked as uid 1000 by the SPI
 * }
 * }</pre>
 * The view attaches a Session of its own (the same file system may be mounted over FUSE or served
 * over 9P at the same time); closing it gives back every reference it held and leaves the file
 * system open: its owner closes it.
 */
public final class StrataNio {
    private StrataNio() {}

    /** A view of {@code fs} whose every operation is {@code caller}'s. */
    public static java.nio.file.FileSystem open(FileSystem fs, Caller caller) {
        return StrataFileSystemProvider.view(fs, caller);
    }

    /** A view of {@code fs} as root. */
    public static java.nio.file.FileSystem open(FileSystem fs) {
        return open(fs, Caller.ROOT);
    }
}
