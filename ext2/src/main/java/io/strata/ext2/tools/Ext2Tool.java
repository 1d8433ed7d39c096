package io.strata.ext2.tools;

import io.strata.core.Attr;
import io.strata.core.Bytes;
import io.strata.core.Caller;
import io.strata.core.Created;
import io.strata.core.Entry;
import io.strata.core.FileSystem;
import io.strata.core.FileType;
import io.strata.core.FsException;
import io.strata.core.Name;
import io.strata.core.OpenFlags;
import io.strata.core.Opened;
import io.strata.core.SetAttr;
import io.strata.ext2.Ext2FileSystem;
import io.strata.ext2.Ext2Options;
import io.strata.core.Errno;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code ext2 ls|cat|get|put|mkdir|rm IMAGE PATH...}: work on an image without mounting it.
 * <ul>
 * <li>{@code ls IMAGE [PATH...]} long listing of directories (or one line for a file)</li>
 * <li>{@code cat IMAGE PATH...} file contents to stdout</li>
 * <li>{@code get [-r] IMAGE PATH DEST} copy a file (-r: a tree) out</li>
 * <li>{@code put [-r] IMAGE SRC PATH} copy a host file in, replacing an existing file (-r: a tree, as
 * {@code mkfs.ext2 -d} copies one: owners, modes, times, hard links, user.* xattrs)</li>
 * <li>{@code mkdir IMAGE PATH...} create directories (and missing parents)</li>
 * <li>{@code rm [-r] IMAGE PATH...} remove files, symlinks, empty directories (-r: trees)</li>
 * </ul>
 * PATH arguments are UTF-8 (each component becomes a {@link Name} with {@link Name#utf8}). Names and
 * symlink targets on the image are bytes: {@code ls} writes them to stdout unchanged, as ls(1)
 * does when its output is not a terminal, so a name that is not UTF-8 (0xE9 from a Latin-1 system)
 * comes out as the same byte and can be fed back by a script; {@code rm -r} removes such names
 * without ever decoding them.
 */
public final class Ext2Tool {
    private Ext2Tool() {}

    private static final String USAGE = "usage: ext2 ls IMAGE [PATH...]\n"
            + "       ext2 cat IMAGE PATH...\n"
            + "       ext2 get [-r] IMAGE PATH DEST     copy a file (-r: a directory tree) out of the image\n"
            + "       ext2 put [-r] IMAGE SRC PATH      copy a host file (-r: a directory tree) into the image\n"
            + "       ext2 mkdir IMAGE PATH...\n"
            + "       ext2 rm [-r] IMAGE PATH...\n"
            + "PATHs are UTF-8; ls prints names and symlink targets as the bytes stored (like ls to a pipe).\n"
            + "An image mounted read-write is refused for put, mkdir and rm (its daemon holds a lock).";
    private static final Caller ROOT = Caller.ROOT;

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    public static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length >= 1 && (args[0].equals("-h") || args[0].equals("--help") || args[0].equals("help"))) {
            out.println(USAGE);
            return 0;
        }
        if (args.length < 2) {
            err.println(USAGE);
            return 2;
        }
        String cmd = args[0];
        List<String> rest = new ArrayList<>(Arrays.asList(args).subList(1, args.length));
        boolean recursive = false;
        if (cmd.matches("rm|get|put") && !rest.isEmpty() && rest.get(0).equals("-r")) {
            recursive = true;
            rest.remove(0);
        }
        if (rest.isEmpty()) {
            err.println(USAGE);
            return 2;
        }
        Path image = Path.of(rest.remove(0));
        boolean ok = switch (cmd) {
            case "ls" -> true;
            case "cat", "mkdir", "rm" -> !rest.isEmpty();
            case "get", "put" -> rest.size() == 2;
            default -> false;
        };
        if (!ok) {
            err.println(cmd.matches("ls|cat|get|put|mkdir|rm") ? USAGE : "ext2: unknown command '" + cmd + "'\n" + USAGE);
            return 2;
        }
        if (cmd.equals("put")) {
            // check the source before the image changes: a failed put must leave nothing behind
            Path src = Path.of(rest.get(0));
            String bad = !Files.exists(src, java.nio.file.LinkOption.NOFOLLOW_LINKS) ? "no such file or directory"
                    : Files.isDirectory(src) && !recursive ? "is a directory (use put -r to copy a tree)"
                    : !Files.isDirectory(src) && recursive ? "is not a directory (put -r copies a tree)"
                    : !Files.isDirectory(src) && !Files.isRegularFile(src) ? "is not a regular file"
                    : !Files.isReadable(src) ? "permission denied" : null;
            if (bad != null) {
                err.println("ext2: " + src + ": " + bad);
                return 1;
            }
        }
        boolean ro = cmd.equals("ls") || cmd.equals("cat") || cmd.equals("get");
        Ext2FileSystem fs;
        try {
            fs = Ext2FileSystem.open(image, ro ? Ext2Options.readOnlyDefaults() : Ext2Options.defaults());
        } catch (io.strata.core.HostLocks.HeldException e) {
            err.println("ext2: " + e.getMessage());
            return 1;
        } catch (IOException e) {
            err.println("ext2: " + withFile(e, image));
            return 1;
        }
        int rc = 0;
        try {
            switch (cmd) {
                case "ls" -> {
                    if (rest.isEmpty()) rest.add("/");
                    for (String p : rest) rc |= attempt(err, p, () -> ls(fs, p, out, rest.size() > 1));
                }
                case "cat" -> {
                    for (String p : rest) rc |= attempt(err, p, () -> cat(fs, resolve(fs, p), out));
                }
                case "get" -> {
                    if (recursive) {
                        rc = attempt(err, rest.get(0), () -> new TreeGetter(fs, err).get(resolve(fs, rest.get(0)), Path.of(rest.get(1))));
                    } else {
                        rc = attempt(err, rest.get(0), () -> {
                            long ino = resolve(fs, rest.get(0));
                            if (fs.getattr(ROOT, ino, -1).attr().isDirectory()) {
                                throw new IOException("is a directory (use get -r to copy a tree)");
                            }
                            try (OutputStream o = Files.newOutputStream(Path.of(rest.get(1)))) {
                                cat(fs, ino, o);
                            }
                        });
                    }
                }
                case "put" -> {
                    if (recursive) {
                        rc = attempt(err, rest.get(1), () -> {
                            mkdirs(fs, rest.get(1));
                            new Mkfs.Populator(fs, err, false).copyTree(Path.of(rest.get(0)).toAbsolutePath(), resolve(fs, rest.get(1)));
                        });
                    } else {
                        rc = attempt(err, rest.get(1), () -> put(fs, Path.of(rest.get(0)), rest.get(1)));
                    }
                }
                case "mkdir" -> {
                    for (String p : rest) rc |= attempt(err, p, () -> mkdirs(fs, p));
                }
                case "rm" -> {
                    final boolean r = recursive;
                    for (String p : rest) rc |= attempt(err, p, () -> rm(fs, p, r));
                }
                default -> throw new AssertionError();
            }
        } finally {
            try {
                fs.unmount();
            } catch (IOException e) {
                err.println("ext2: " + withFile(e, image));
                rc = 1;
            }
        }
        return rc;
    }

    private interface Action {
        void run() throws IOException, FsException;
    }

    private static int attempt(PrintStream err, String path, Action a) {
        try {
            a.run();
            return 0;
        } catch (FsException e) {
            err.println("ext2: " + path + ": " + e.describe());
            return 1;
        } catch (IOException e) {
            err.println("ext2: " + path + ": " + hostReason(e));
            return 1;
        }
    }

    /** The reason, prefixed with {@code file} unless it names its file itself. */
    private static String withFile(IOException e, Path file) {
        return e instanceof java.nio.file.FileSystemException f && f.getFile() != null ? hostReason(e) : file + ": " + hostReason(e);
    }

    /** What went wrong with a host file, in words (Java's messages are often just the file name). */
    static String hostReason(IOException e) {
        if (e instanceof java.nio.file.NoSuchFileException n) return (n.getFile() != null ? n.getFile() + ": " : "") + "no such file or directory";
        if (e instanceof java.nio.file.AccessDeniedException a) return (a.getFile() != null ? a.getFile() + ": " : "") + "permission denied";
        if (e instanceof java.nio.file.FileAlreadyExistsException f) return (f.getFile() != null ? f.getFile() + ": " : "") + "already exists";
        if (e instanceof java.nio.file.NotDirectoryException d) return (d.getFile() != null ? d.getFile() + ": " : "") + "not a directory";
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    /** {@code get -r}: copies a tree out with modes and times; names that are not UTF-8 are reported and skipped. */
    private static final class TreeGetter {
        private final FileSystem fs;
        private final PrintStream err;
        private boolean failed;

        TreeGetter(FileSystem fs, PrintStream err) {
            this.fs = fs;
            this.err = err;
        }

        void get(long ino, Path dest) throws IOException, FsException {
            copy(ino, dest);
            if (failed) throw new IOException("some entries were not copied (see above)");
        }

        private void copy(long ino, Path dest) throws IOException, FsException {
            Attr a = fs.getattr(ROOT, ino, -1).attr();
            switch (a.mode() & FileType.S_IFMT) {
                case FileType.S_IFDIR -> {
                    if (!Files.isDirectory(dest)) Files.createDirectory(dest);
                    List<Name> names = new ArrayList<>();
                    fs.readdir(ROOT, ino, 0, 0, (n, i, t, next) -> names.add(n));
                    for (Name n : names) {
                        if (n.isDotOrDotDot()) continue;
                        String host;
                        try {
                            host = java.nio.charset.StandardCharsets.UTF_8.newDecoder()
                                    .decode(java.nio.ByteBuffer.wrap(n.bytes())).toString();
                        } catch (java.nio.charset.CharacterCodingException e) {
                            err.println("ext2: " + dest + ": a name that is not UTF-8 was skipped (" + java.util.HexFormat.of().formatHex(n.bytes()) + ")");
                            failed = true;
                            continue;
                        }
                        Entry e = fs.lookup(ROOT, ino, n);
                        try {
                            copy(e.ino(), dest.resolve(host));
                        } catch (FsException | IOException x) {
                            err.println("ext2: " + dest.resolve(host) + ": " + (x instanceof FsException f ? f.describe() : hostReason((IOException) x)));
                            failed = true;
                        } finally {
                            fs.forget(e.ino(), 1);
                        }
                    }
                }
                case FileType.S_IFREG -> {
                    try (OutputStream o = Files.newOutputStream(dest)) {
                        cat(fs, ino, o);
                    }
                }
                case FileType.S_IFLNK -> {
                    Files.createSymbolicLink(dest, Path.of(new String(fs.readlink(ROOT, ino), java.nio.charset.StandardCharsets.UTF_8)));
                    return; // no mode or times on the link itself
                }
                default -> {
                    err.println("ext2: " + dest + ": special file (device, fifo or socket) not copied");
                    failed = true;
                    return;
                }
            }
            java.util.Set<java.nio.file.attribute.PosixFilePermission> perms = java.util.EnumSet.noneOf(java.nio.file.attribute.PosixFilePermission.class);
            for (java.nio.file.attribute.PosixFilePermission p : java.nio.file.attribute.PosixFilePermission.values()) {
                if ((a.mode() & (1 << (8 - p.ordinal()))) != 0) perms.add(p);
            }
            Files.setPosixFilePermissions(dest, perms);
            Files.setLastModifiedTime(dest, java.nio.file.attribute.FileTime.from(a.mtimeNs(), java.util.concurrent.TimeUnit.NANOSECONDS));
        }
    }

    /** The components of a UTF-8 path argument ("." components dropped). */
    private static List<Name> parts(String path) throws FsException {
        List<Name> out = new ArrayList<>();
        for (String s : path.split("/")) if (!s.isEmpty() && !s.equals(".")) out.add(Name.utf8(s));
        return out;
    }

    /** Follows the path (not following symlinks) to an inode id. */
    static long resolve(FileSystem fs, String path) throws FsException {
        return resolve(fs, parts(path));
    }

    private static long resolve(FileSystem fs, List<Name> parts) throws FsException {
        long ino = FileSystem.ROOT;
        for (Name s : parts) {
            Entry e = fs.lookup(ROOT, ino, s);
            fs.forget(e.ino(), 1);
            ino = e.ino();
        }
        return ino;
    }

    private static void ls(FileSystem fs, String path, PrintStream out, boolean header) throws FsException {
        long ino = resolve(fs, path);
        Attr a = fs.getattr(ROOT, ino, -1).attr();
        if (!a.isDirectory()) {
            line(fs, a, Bytes.utf8(path), out);
            return;
        }
        if (header) out.println(path + ":");
        List<Name> names = new ArrayList<>();
        fs.readdir(ROOT, ino, 0, 0, (n, i, t, next) -> names.add(n));
        names.sort(null); // byte order, as ls in the C locale
        for (Name n : names) {
            if (n.isDotOrDotDot()) continue;
            Entry e = fs.lookup(ROOT, ino, n);
            try {
                line(fs, e.attr(), n.bytes(), out);
            } finally {
                fs.forget(e.ino(), 1);
            }
        }
    }

    /** One long-listing line; the name and a symlink's target are written as raw bytes. */
    private static void line(FileSystem fs, Attr a, byte[] name, PrintStream out) throws FsException {
        out.print(String.format("%s %3d %5d %5d %12d %s ", modeString(a.mode()), a.nlink(), a.uid(), a.gid(), a.size(),
                Instant.ofEpochSecond(Math.floorDiv(a.mtimeNs(), 1_000_000_000L))));
        out.write(name, 0, name.length);
        if (FileType.isLink(a.mode())) {
            byte[] target = fs.readlink(ROOT, a.ino());
            out.print(" -> ");
            out.write(target, 0, target.length);
        }
        out.println();
    }

    static String modeString(int mode) {
        char t = switch (mode & FileType.S_IFMT) {
            case FileType.S_IFDIR -> 'd';
            case FileType.S_IFLNK -> 'l';
            case FileType.S_IFCHR -> 'c';
            case FileType.S_IFBLK -> 'b';
            case FileType.S_IFIFO -> 'p';
            case FileType.S_IFSOCK -> 's';
            default -> '-';
        };
        StringBuilder sb = new StringBuilder().append(t);
        String rwx = "rwxrwxrwx";
        for (int i = 0; i < 9; i++) sb.append((mode & (1 << (8 - i))) != 0 ? rwx.charAt(i) : '-');
        return sb.toString();
    }

    private static void cat(FileSystem fs, long ino, OutputStream out) throws FsException, IOException {
        Attr a = fs.getattr(ROOT, ino, -1).attr();
        if (a.isDirectory()) throw FsException.of(Errno.EISDIR);
        Opened o = fs.open(ROOT, ino, OpenFlags.O_RDONLY);
        try {
            ByteBuffer b = ByteBuffer.allocate(1 << 20);
            long off = 0;
            while (true) {
                b.clear();
                int n = fs.read(ROOT, ino, o.fh(), off, b);
                if (n <= 0) break;
                out.write(b.array(), 0, n);
                off += n;
            }
            out.flush();
        } finally {
            fs.release(ino, o.fh(), 0);
        }
    }

    private static void put(FileSystem fs, Path src, String path) throws FsException, IOException {
        List<Name> p = parts(path);
        if (p.isEmpty()) throw FsException.of(Errno.EISDIR);
        long dir = resolve(fs, p.subList(0, p.size() - 1));
        Name name = p.get(p.size() - 1);
        long ino;
        long fh;
        try {
            Entry e = fs.lookup(ROOT, dir, name);
            fs.forget(e.ino(), 1);
            ino = e.ino();
            fh = fs.open(ROOT, ino, OpenFlags.O_WRONLY | OpenFlags.O_TRUNC).fh();
        } catch (FsException e) {
            if (e.errno() != Errno.ENOENT) throw e;
            int mode = Files.getPosixFilePermissions(src).stream().mapToInt(x -> 1 << (8 - x.ordinal())).sum();
            Created c = fs.create(ROOT, dir, name, mode, OpenFlags.O_WRONLY, 0);
            fs.forget(c.entry().ino(), 1);
            ino = c.entry().ino();
            fh = c.opened().fh();
        }
        try (FileChannel in = FileChannel.open(src, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocateDirect(1 << 20);
            long off = 0;
            while (in.read(b.clear(), off) > 0) {
                b.flip();
                while (b.hasRemaining()) off += fs.write(ROOT, ino, fh, off, b, 0);
            }
            fs.setattr(ROOT, ino, SetAttr.size(off));
        } finally {
            fs.release(ino, fh, 0);
        }
    }

    private static void mkdirs(FileSystem fs, String path) throws FsException {
        long ino = FileSystem.ROOT;
        for (Name s : parts(path)) {
            try {
                Entry e = fs.lookup(ROOT, ino, s);
                fs.forget(e.ino(), 1);
                if (!e.attr().isDirectory()) throw FsException.of(Errno.ENOTDIR);
                ino = e.ino();
            } catch (FsException e) {
                if (e.errno() != Errno.ENOENT) throw e;
                Entry n = fs.mkdir(ROOT, ino, s, 0755, 0);
                fs.forget(n.ino(), 1);
                ino = n.ino();
            }
        }
    }

    private static void rm(FileSystem fs, String path, boolean recursive) throws FsException {
        List<Name> p = parts(path);
        if (p.isEmpty()) throw FsException.of(Errno.EBUSY);
        long dir = resolve(fs, p.subList(0, p.size() - 1));
        remove(fs, dir, p.get(p.size() - 1), recursive);
    }

    private static void remove(FileSystem fs, long dir, Name name, boolean recursive) throws FsException {
        Entry e = fs.lookup(ROOT, dir, name);
        fs.forget(e.ino(), 1);
        if (!e.attr().isDirectory()) {
            fs.unlink(ROOT, dir, name);
            return;
        }
        if (recursive) {
            List<Name> names = new ArrayList<>();
            fs.readdir(ROOT, e.ino(), 0, 0, (n, i, t, next) -> names.add(n));
            for (Name n : names) if (!n.isDotOrDotDot()) remove(fs, e.ino(), n, true);
        }
        fs.rmdir(ROOT, dir, name);
    }
}
