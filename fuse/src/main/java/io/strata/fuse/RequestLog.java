package io.strata.fuse;

import io.strata.core.Errno;

/** --debug output: one line per request and its reply, on stderr. */
final class RequestLog {
    void line(Request rq, CharSequence args, int errno, int replyLen, long nanos) {
        String result = errno != 0 ? Errno.name(errno) : replyLen < 0 ? "(no reply)" : "OK " + replyLen + "B";
        String line = "fuse: #" + rq.unique + " " + Opcode.name(rq.opcode) + " node=" + rq.nodeid + args + " -> "
                + result + " (" + (nanos / 1000) + "us)";
        System.err.println(line);
    }
}
