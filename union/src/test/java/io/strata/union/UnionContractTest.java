package io.strata.union;

import io.strata.core.FileSystem;
import io.strata.core.FsException;
import io.strata.core.contract.FileSystemContract;
import org.junit.jupiter.api.AfterEach;

/** The core contract over a union with an empty memory lower and a memory upper. */
class UnionContractTest extends FileSystemContract {
    private Stack stack;

    @Override
    protected FileSystem newFileSystem() throws Exception {
        stack = new Stack(1);
        prepare(stack);
        return stack.open();
    }

    /** Puts what the variant needs into the layers before the union opens. */
    protected void prepare(Stack st) throws FsException {}

    @AfterEach
    void closeStack() {
        if (s != null) s.close();
        if (fs != null) fs.close();
        if (stack != null) stack.close();
    }
}
