/**
 * The 9P2000.L client backend (issue 9). So far: options ({@link NinepClientOptions}), RPC
 * accounting ({@link RpcStats}) and the pipelined connection ({@link RpcChannel}); the
 * FileSystem over it is not written yet.
 */
package io.strata.ninep.client;
