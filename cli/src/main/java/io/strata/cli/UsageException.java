package io.strata.cli;

/** Bad command line: printed as "strata: MESSAGE" with exit status 2. */
final class UsageException extends Exception {
    UsageException(String message) {
        super(message);
    }
}
