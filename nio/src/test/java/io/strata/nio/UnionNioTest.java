package io.strata.nio;

import io.strata.core.Caller;
import io.strata.core.FileSystem;
import io.strata.core.Name;
import io.strata.memory.MemoryFileSystem;
import io.strata.memory.MemoryOptions;
import io.strata.union.UnionFileSystem;
import io.strata.union.UnionLayer;
import io.strata.union.UnionOptions;
import java.util.List;

/** The nio suite over a union: a memory lower (with a file in it) under a memory upper. */
class UnionNioTest extends NioSuite {
    private MemoryFileSystem lower, upper;

    @Override
    protected io.strata.core.FileSystem backend() throws Exception {
        lower = new MemoryFileSystem(MemoryOptions.defaults(0, 0).withSizeLimit(64L << 20));
        lower.forget(lower.mkdir(Caller.ROOT, FileSystem.ROOT, Name.of("from-lower"), 0755, 0).ino(), 1);
        upper = new MemoryFileSystem(MemoryOptions.defaults(0, 0).withSizeLimit(256L << 20));
        long up = upper.mkdir(Caller.ROOT, FileSystem.ROOT, Name.of("upper"), 0755, 0).ino();
        long wk = upper.mkdir(Caller.ROOT, FileSystem.ROOT, Name.of("work"), 0755, 0).ino();
        return UnionFileSystem.open(UnionOptions.of(List.of(UnionLayer.of(lower)), new UnionLayer(upper, up), new UnionLayer(upper, wk)));
    }

    @Override
    protected void afterViews() {
        if (upper != null) upper.close();
        if (lower != null) lower.close();
    }
}
