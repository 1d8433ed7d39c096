package io.strata.fuse;

/** A request whose bytes do not make sense (truncated, wrong length, name without NUL...). */
final class BadRequestException extends Exception {
    BadRequestException(String why) {
        super(why, null, false, false);
    }
}
