package io.strata.passthrough;

import io.strata.core.CacheMode;
import io.strata.passthrough.PassthroughOptions.Handles;

/** The contract with file-handle identity (handles=prefer) and the EXCLUSIVE cache mode. */
class PassthroughHandlesContractTest extends PassthroughContractTest {
    @Override
    protected PassthroughOptions options() {
        return PassthroughOptions.defaults().withHandles(Handles.PREFER).withMode(CacheMode.EXCLUSIVE);
    }
}
