/** 9P2000.L server (and, later, client) over the Strata FileSystem SPI. */
package io.strata.ninep;
