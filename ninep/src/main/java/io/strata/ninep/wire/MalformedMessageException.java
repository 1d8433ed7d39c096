package io.strata.ninep.wire;

import io.strata.core.Errno;

/**
 * A message that cannot be decoded. If its header was readable, {@link #tag()} names the request
 * so the server can answer Rlerror({@link #errno()}); if not ({@link #answerable()} false) the
 * stream cannot be trusted any more and the connection must be closed. Stackless: hostile input
 * is ordinary control flow.
 */
public final class MalformedMessageException extends Exception {
    /** Tag value meaning "the header itself was broken". */
    public static final int UNANSWERABLE = -1;

    private final int tag;
    private final int errno;

    public MalformedMessageException(int tag, int errno, String reason) {
        super(reason + " (" + Errno.name(errno) + (tag == UNANSWERABLE ? ", unanswerable" : ", tag " + tag) + ")",
                null, false, false);
        this.tag = tag;
        this.errno = errno;
    }

    public static MalformedMessageException unanswerable(String reason) {
        return new MalformedMessageException(UNANSWERABLE, Errno.EPROTO, reason);
    }

    /** The request's tag, or {@link #UNANSWERABLE}. */
    public int tag() {
        return tag;
    }

    public boolean answerable() {
        return tag != UNANSWERABLE;
    }

    public int errno() {
        return errno;
    }
}
