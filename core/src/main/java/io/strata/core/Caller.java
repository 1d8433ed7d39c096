package io.strata.core;

/**
 * Who asks: the credentials behind a request (a FUSE request's header plus the process's
 * supplementary groups, a 9P attach's uid, the JVM user for nio). Every permission decision in
 * Strata is made from a Caller by {@link Access}.
 *
 * @param groups supplementary groups; may be resolved lazily (FUSE reads them from /proc only when
 *               a decision needs them)
 */
public record Caller(int uid, int gid, int pid, Groups groups) {
    public static final Caller ROOT = new Caller(0, 0, 0, Groups.NONE);

    public Caller {
        if (groups == null) groups = Groups.NONE;
    }

    /** A caller without supplementary groups. */
    public Caller(int uid, int gid, int pid) {
        this(uid, gid, pid, Groups.NONE);
    }

    public static Caller of(int uid, int gid, int... groups) {
        return new Caller(uid, gid, 0, Groups.of(groups));
    }

    /** uid 0 holds every capability Strata models (CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_CHOWN, CAP_FSETID). */
    public boolean isRoot() {
        return uid == 0;
    }

    /** The primary group or one of the supplementary groups (in_group_p). */
    public boolean inGroup(int g) {
        return gid == g || groups.contains(g);
    }
}
