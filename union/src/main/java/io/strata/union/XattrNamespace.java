package io.strata.union;

/**
 * Where the overlay's own xattrs live: {@code trusted.overlay.*} (kernel default, needs a
 * privileged mounter) or {@code user.overlay.*} (the kernel's {@code userxattr} mount option, for
 * unprivileged unions).
 */
public enum XattrNamespace {
    TRUSTED("trusted.overlay."), USER("user.overlay.");

    private final String prefix;

    XattrNamespace(String prefix) {
        this.prefix = prefix;
    }

    public String prefix() {
        return prefix;
    }
}
