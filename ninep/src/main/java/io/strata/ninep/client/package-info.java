/**
 * The 9P2000.L client backend (issue 9): so far only its options ({@link NinepClientOptions}) and
 * RPC accounting ({@link RpcStats}); the connection and the FileSystem over it are not written yet.
 */
package io.strata.ninep.client;
