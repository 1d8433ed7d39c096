package io.strata.cli;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A directory for daemon logs that only this user can change, so nothing in it can be a link
 * planted by someone else. The first that is safe, in this order:
 * <ol>
 * <li>{@code $XDG_RUNTIME_DIR/strata}, if XDG_RUNTIME_DIR is ours with mode 0700 (as the spec
 * requires; one that is not is ignored, since anyone can set the variable);</li>
 * <li>{@code /run/strata} for root;</li>
 * <li>{@code /run/user/UID/strata}, if /run/user/UID is ours with mode 0700;</li>
 * <li>{@code TMPDIR/strata-UID}, created by us with mode 0700;</li>
 * <li>if someone else holds that name (the attack: a directory made in advance, with a symlink
 * where the log will go): a fresh {@code TMPDIR/strata-UID-XXXX} of our own.</li>
 * </ol>
 * A directory counts as ours only if lstat says it is a directory (not a symlink to one), owned by
 * our uid; our own subdirectory is tightened to 0700 if it is looser.
 */
final class RuntimeDir {
    private static final Set<PosixFilePermission> PRIVATE = PosixFilePermissions.fromString("rwx------");

    private final Map<String, String> env;
    private final int uid;
    private final Path run;
    private final Path tmp;
    private final List<String> skipped = new ArrayList<>();

    /**
     * @param env the environment (XDG_RUNTIME_DIR)
     * @param uid whose directory it must be
     * @param run where /run is (tests point it elsewhere)
     * @param tmp the temporary directory
     */
    RuntimeDir(Map<String, String> env, int uid, Path run, Path tmp) {
        this.env = env;
        this.uid = uid;
        this.run = run;
        this.tmp = tmp;
    }

    static RuntimeDir forThisProcess() {
        return new RuntimeDir(System.getenv(), io.strata.sys.Libc.getuid(), Path.of("/run"),
                Path.of(System.getProperty("java.io.tmpdir")));
    }

    /** Candidates passed over and why, for messages. */
    List<String> skipped() {
        return skipped;
    }

    /** The private directory, created if needed. */
    Path choose() throws IOException {
        String xdg = env.get("XDG_RUNTIME_DIR");
        if (xdg != null && !xdg.isEmpty()) {
            Path base = Path.of(xdg);
            String why = base.isAbsolute() ? notPrivate(base, true) : "not an absolute path";
            Path d = why == null ? ours(base.resolve("strata")) : skip(base, why);
            if (d != null) return d;
        }
        if (uid == 0 && Files.isDirectory(run, LinkOption.NOFOLLOW_LINKS)) {
            Path d = ours(run.resolve("strata"));
            if (d != null) return d;
        }
        Path user = run.resolve("user").resolve(Integer.toString(uid));
        if (uid != 0 && Files.exists(user, LinkOption.NOFOLLOW_LINKS)) {
            String why = notPrivate(user, true);
            Path d = why == null ? ours(user.resolve("strata")) : skip(user, why);
            if (d != null) return d;
        }
        Path d = ours(tmp.resolve("strata-" + uid));
        if (d != null) return d;
        // The predictable name is taken by someone else: a random one nobody could prepare.
        Path fresh = Files.createTempDirectory(tmp, "strata-" + uid + "-", attr());
        Files.setPosixFilePermissions(fresh, PRIVATE);
        String why = notPrivate(fresh, true);
        if (why != null) throw new IOException("cannot make a private log directory: " + fresh + " " + why);
        return fresh;
    }

    private Path skip(Path dir, String why) {
        skipped.add(dir + " " + why);
        return null;
    }

    private static FileAttribute<Set<PosixFilePermission>> attr() {
        return PosixFilePermissions.asFileAttribute(PRIVATE);
    }

    /**
     * {@code dir} created by us, or already ours (tightened to 0700 if needed); null if it exists
     * and is not ours or not a directory.
     */
    private Path ours(Path dir) throws IOException {
        try {
            Files.createDirectory(dir, attr());
        } catch (FileAlreadyExistsException exists) {
            String why = notPrivate(dir, false);
            if (why != null) return skip(dir, why);
        } catch (NoSuchFileException | java.nio.file.AccessDeniedException e) {
            return skip(dir, "cannot be created (" + e.getClass().getSimpleName() + ")");
        }
        // Ours (lstat said so and only we could have made it so): make sure it is 0700 whatever the umask did.
        if (mode(dir) != 0700) Files.setPosixFilePermissions(dir, PRIVATE);
        String why = notPrivate(dir, true);
        return why == null ? dir : skip(dir, why);
    }

    /**
     * Null if {@code dir} is a directory (lstat, never through a symlink) owned by us and, if
     * {@code exactMode}, with mode 0700; otherwise why not.
     */
    String notPrivate(Path dir, boolean exactMode) throws IOException {
        if (Files.isSymbolicLink(dir)) return "is a symbolic link";
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) return "is not a directory";
        int owner = (Integer) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        if (owner != uid) return "belongs to uid " + owner + ", not to uid " + uid;
        if (exactMode && mode(dir) != 0700) return "has mode 0" + Integer.toOctalString(mode(dir)) + ", not 0700";
        return null;
    }

    private static int mode(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
    }
}
