/**
 * The only code in Strata that calls native functions (FFM downcalls with errno capture). The
 * launcher grants native access to this module alone ({@code --enable-native-access=io.strata.sys}),
 * and only the modules that need system calls may read it.
 */
module io.strata.sys {
    requires transitive io.strata.core;
    exports io.strata.sys to io.strata.fuse, io.strata.passthrough, io.strata.cli;
}
