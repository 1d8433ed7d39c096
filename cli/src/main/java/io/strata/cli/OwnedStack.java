package io.strata.cli;

import io.strata.core.FileSystem;
import io.strata.core.ForwardingFileSystem;
import java.util.List;

/**
 * A stacker and the file systems below it that the command built: closing closes the top, then
 * the ones below, last built first. Stackers never close what they stand on (a layer may be shared),
 * so someone must; for a command line stack that is the command.
 */
final class OwnedStack extends ForwardingFileSystem {
    private final List<FileSystem> below;

    OwnedStack(FileSystem top, List<FileSystem> below) {
        super(top);
        this.below = List.copyOf(below);
    }

    /** The stacker on top. */
    FileSystem top() {
        return lower;
    }

    /** The file systems below the top, first built first. */
    List<FileSystem> below() {
        return below;
    }

    @Override
    protected boolean passesBackingFds() {
        return true; // the top decides what it hands out; this wrapper only owns
    }

    @Override
    public void close() {
        try {
            lower.close();
        } finally {
            for (FileSystem fs : below.reversed()) fs.close();
        }
    }
}
