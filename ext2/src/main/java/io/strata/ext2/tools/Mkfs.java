package io.strata.ext2.tools;

import io.strata.core.Caller;
import io.strata.core.Created;
import io.strata.core.Entry;
import io.strata.core.FileSystem;
import io.strata.core.FileType;
import io.strata.core.FsException;
import io.strata.core.Name;
import io.strata.core.OpenFlags;
import io.strata.core.SetAttr;
import io.strata.core.XattrName;
import io.strata.ext2.Ext2FileSystem;
import io.strata.ext2.Ext2Options;
import io.strata.ext2.Layout;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@code mkfs.ext2 IMAGE SIZE [-b 1024|2048|4096] [-I 128|256] [-d SRC_DIR]}: a rootless mke2fs.
 * Formats with {@link Layout}, creates lost+found, and with -d copies a host tree in (like mke2fs
 * -d): regular files, directories, symlinks, fifos/sockets/devices, hard links as one inode, modes,
 * owners, times and user.* xattrs. Host file names are copied as the bytes the host stores (not
 * UTF-8-decoded), so names such as 0xE9 survive. Progress on stderr for big trees.
 */
public final class Mkfs {
    private Mkfs() {}

    private static final String USAGE = """
            usage: mkfs.ext2 [-q] [-F] [-L LABEL] [-N INODES] [-m PCT] [-O [^]dir_index] [-b 1024|2048|4096] [-I 128|256] [-d SRC_DIR] IMAGE [SIZE]
              SIZE     bytes, or with suffix K, M, G, T (e.g. 64M, 1G); default: the size of an existing IMAGE
              -q       quiet: no progress and no summary
              -F       overwrite an IMAGE that already holds a file system or other data
              -L LABEL volume label (at most 16 bytes)
              -N N     at least N inodes (default: one per 4 KiB below 512 MiB, else one per 16 KiB)
              -m PCT   blocks reserved for root, in percent (default 5)
              -O ^dir_index  no htree index for large directories (default: dir_index, as mke2fs)
              -b, -I   block size, inode size (default: 1024 below 512 MiB, else 4096; 256)
              -d DIR   copy the host tree DIR in (owners, modes, times, hard links, user.* xattrs)
            The image is built beside IMAGE and renamed over it at the end: a failure leaves no
            broken image (and an old one untouched).""";

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    public static int run(String[] args, PrintStream out, PrintStream err) {
        String image = null, size = null, src = null, label = "";
        int bs = -1, isz = 256;
        boolean quiet = false, force = false, dirIndex = true;
        long inodeCount = 0;
        double reserved = 5;
        Layout.Tuning tuning;
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "-b" -> bs = intArg(args, ++i, "-b");
                    case "-I" -> isz = intArg(args, ++i, "-I");
                    case "-d" -> src = arg(args, ++i, "-d");
                    case "-L" -> label = arg(args, ++i, "-L");
                    case "-N" -> inodeCount = intArg(args, ++i, "-N");
                    case "-m" -> {
                        String v = arg(args, ++i, "-m");
                        try {
                            reserved = Double.parseDouble(v);
                        } catch (NumberFormatException e) {
                            throw new IllegalArgumentException("-m needs a percentage, not '" + v + "'");
                        }
                    }
                    case "-O" -> {
                        for (String f : arg(args, ++i, "-O").split(",")) {
                            switch (f) {
                                case "dir_index" -> dirIndex = true;
                                case "^dir_index" -> dirIndex = false;
                                default -> throw new IllegalArgumentException("-O: unsupported feature '" + f
                                        + "' (only dir_index and ^dir_index)");
                            }
                        }
                    }
                    case "-q" -> quiet = true;
                    case "-F" -> force = true;
                    case "-h", "--help" -> {
                        out.println(USAGE);
                        return 0;
                    }
                    default -> {
                        if (args[i].startsWith("-")) throw new IllegalArgumentException("unknown option " + args[i]);
                        if (image == null) image = args[i];
                        else if (size == null) size = args[i];
                        else throw new IllegalArgumentException("too many arguments");
                    }
                }
            }
            if (image == null) throw new IllegalArgumentException("IMAGE is required");
            tuning = new Layout.Tuning(label.getBytes(java.nio.charset.StandardCharsets.UTF_8), inodeCount, reserved, dirIndex);
        } catch (RuntimeException e) {
            err.println("mkfs.ext2: " + e.getMessage());
            err.println(USAGE);
            return 2;
        }
        Path img = Path.of(image).toAbsolutePath();
        Path tmp = null;
        FileChannel held = null;
        long t0 = System.nanoTime();
        try {
            if (Files.isSymbolicLink(img)) img = img.toRealPath();
            boolean exists = Files.exists(img);
            if (exists && !Files.isRegularFile(img)) throw new IOException(img + " is not a regular file");
            if (size == null && !exists) throw new IllegalArgumentException("SIZE is required for a new image");
            long bytes = size != null ? parseSize(size) : Files.size(img);
            if (exists) {
                // refuse while it is mounted read-write (its daemon holds the lock), and hold the lock
                // ourselves until the new image replaced it
                held = FileChannel.open(img, StandardOpenOption.READ, StandardOpenOption.WRITE);
                io.strata.core.HostLocks.lockExclusive(held, img, "image " + img);
                String what = existingContent(held);
                if (what != null && !force) {
                    err.println("mkfs.ext2: " + img + " " + what + "; use -F to overwrite it");
                    return 1;
                }
            }
            if (src != null && !Files.isDirectory(Path.of(src))) throw new IOException("-d " + src + ": not a directory");
            if (bs < 0) bs = bytes < (512L << 20) ? 1024 : 4096;
            tmp = img.resolveSibling("." + img.getFileName() + ".mkfs-" + ProcessHandle.current().pid());
            Layout.Formatted f = Layout.format(tmp, bytes, bs, isz, bytes < (512L << 20) ? 4096 : 16384, tuning);
            Populator pop = null;
            Ext2FileSystem fs = Ext2FileSystem.open(tmp, Ext2Options.defaults());
            try {
                Entry lf = fs.mkdir(Caller.ROOT, FileSystem.ROOT, LOST_FOUND, 0700, 0);
                fs.forget(lf.ino(), 1);
                if (src != null) {
                    pop = new Populator(fs, err, !quiet && isTerminal());
                    pop.copyTree(Path.of(src).toAbsolutePath());
                }
            } finally {
                fs.unmount();
            }
            Files.move(tmp, img, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            tmp = null;
            if (!quiet) summary(out, img, f, label, pop, System.nanoTime() - t0);
            return 0;
        } catch (IllegalArgumentException e) {
            err.println("mkfs.ext2: " + e.getMessage());
            err.println(USAGE);
            return 2;
        } catch (io.strata.core.HostLocks.HeldException e) {
            err.println("mkfs.ext2: " + e.getMessage());
            return 1;
        } catch (java.nio.file.NoSuchFileException e) {
            err.println("mkfs.ext2: " + e.getMessage() + ": no such file or directory");
            return 1;
        } catch (java.nio.file.AccessDeniedException e) {
            err.println("mkfs.ext2: " + e.getMessage() + ": permission denied");
            return 1;
        } catch (IOException | FsException e) {
            err.println("mkfs.ext2: " + img + ": " + e.getMessage());
            return 1;
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // best effort: the name says what it is
                }
            }
            if (held != null) {
                try {
                    held.close();
                } catch (IOException ignored) {
                    // released with the process anyway
                }
            }
        }
    }

    private static String arg(String[] args, int i, String flag) {
        if (i >= args.length) throw new IllegalArgumentException(flag + " needs a value");
        return args[i];
    }

    private static int intArg(String[] args, int i, String flag) {
        String v = arg(args, i, flag);
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + " needs a number, not '" + v + "'");
        }
    }

    /** Progress bars only for a person watching: never into a log file or a pipe. */
    private static boolean isTerminal() {
        java.io.Console c = System.console();
        return c != null && c.isTerminal();
    }

    /** What an existing image holds that -F would destroy: a file system, other data, or nothing (null). */
    static String existingContent(FileChannel ch) throws IOException {
        if (ch.size() == 0) return null;
        ByteBuffer sb = ByteBuffer.allocate(1024).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        ch.read(sb, 1024);
        if (sb.position() >= 58 && (sb.getShort(56) & 0xffff) == 0xEF53) {
            int lenLabel = 0;
            while (lenLabel < 16 && sb.get(120 + lenLabel) != 0) lenLabel++;
            byte[] l = new byte[lenLabel];
            sb.get(120, l);
            long blocks = sb.getInt(4) & 0xffffffffL, bsz = 1024L << sb.getInt(24);
            boolean journal = (sb.getInt(92) & 0x4) != 0;
            return "already holds an " + (journal ? "ext3/ext4" : "ext2") + " file system ("
                    + (blocks * bsz >> 20) + " MiB" + (lenLabel > 0 ? ", label '" + new String(l, java.nio.charset.StandardCharsets.UTF_8) + "'" : "") + ")";
        }
        ByteBuffer head = ByteBuffer.allocate(64 << 10);
        ch.read(head, 0);
        for (int i = 0; i < head.position(); i++) if (head.get(i) != 0) return "is not empty (it holds data)";
        return null;
    }

    private static void summary(PrintStream out, Path img, Layout.Formatted f, String label, Populator pop, long ns) {
        out.printf("mkfs.ext2: %s: %d blocks of %d bytes (%d MiB), %d inodes of %d bytes, %d block group%s%n", img, f.blocks(),
                f.blockSize(), f.blocks() * f.blockSize() >> 20, f.inodes(), f.inodeSize(), f.groups(), f.groups() == 1 ? "" : "s");
        out.printf("  UUID %s%s, %d blocks (%.1f%%) reserved for root%n", f.uuid(), label.isEmpty() ? "" : ", label '" + label + "'",
                f.reservedBlocks(), 100.0 * f.reservedBlocks() / f.blocks());
        if (!f.superblockBackups().isEmpty()) {
            StringBuilder b = new StringBuilder();
            for (Long g : f.superblockBackups()) b.append(b.isEmpty() ? "" : ", ").append(g);
            out.println("  superblock backups at blocks " + b);
        }
        if (pop != null) out.printf("  copied %d entries (%d MiB of data) in %.1f s%n", pop.done, pop.bytes >> 20, ns / 1e9);
    }

    private static final Name LOST_FOUND = Name.of("lost+found");

    /**
     * The bytes of an absolute host path as the kernel stores them. {@code Path.toString()} decodes
     * them (a name that is not UTF-8 becomes U+FFFD), but {@code toUri()} percent-encodes the raw
     * bytes of the path, so decoding the escapes gets them back exactly. toUri adds a '/' after a
     * directory; a host path never ends in '/' otherwise, so it is dropped.
     */
    static byte[] hostBytes(Path absolute) {
        String raw = absolute.toUri().getRawPath();
        if (raw.length() > 1 && raw.endsWith("/")) raw = raw.substring(0, raw.length() - 1);
        ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char ch = raw.charAt(i);
            if (ch == '%' && i + 2 < raw.length()) {
                out.write(Integer.parseInt(raw.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                out.write(ch); // toUri escapes every byte outside printable ASCII
            }
        }
        return out.toByteArray();
    }

    /** The last component of an absolute host path, as bytes. */
    static Name hostName(Path absolute) throws FsException {
        byte[] b = hostBytes(absolute);
        int slash = b.length - 1;
        while (slash >= 0 && b[slash] != '/') slash--;
        return Name.of(java.util.Arrays.copyOfRange(b, slash + 1, b.length));
    }

    /** A symlink's target as bytes (relative targets are encoded as if under "/", then unprefixed). */
    static byte[] hostLinkTarget(Path link) throws IOException {
        Path t = Files.readSymbolicLink(link);
        if (t.isAbsolute()) return hostBytes(t);
        byte[] b = hostBytes(t.getFileSystem().getPath("/").resolve(t));
        return java.util.Arrays.copyOfRange(b, 1, b.length);
    }

    static long parseSize(String s) {
        String t = s.trim().toUpperCase(Locale.ROOT);
        long mul = 1;
        if (t.endsWith("B")) t = t.substring(0, t.length() - 1);
        char last = t.isEmpty() ? ' ' : t.charAt(t.length() - 1);
        switch (last) {
            case 'K' -> mul = 1L << 10;
            case 'M' -> mul = 1L << 20;
            case 'G' -> mul = 1L << 30;
            case 'T' -> mul = 1L << 40;
            default -> { }
        }
        if (mul != 1) t = t.substring(0, t.length() - 1);
        try {
            long v = Long.parseLong(t) * mul;
            if (v <= 0) throw new NumberFormatException();
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad size '" + s + "'");
        }
    }

    /** Copies a host tree into the file system through the SPI (as root). */
    static final class Populator {
        private final FileSystem fs;
        private final PrintStream err;
        private final Map<Object, Long> inodeOf = new HashMap<>(); // host file key -> ext2 SPI inode (hard links)
        private final boolean showProgress;
        private long total, done, bytes;
        private int lastPercent = -1;
        private final Caller root = Caller.ROOT;
        /** One buffer for every file: a fresh direct MiB per file (zeroed, and reclaimed only by GC) cost 1.5 ms a file. */
        private final ByteBuffer copyBuffer = ByteBuffer.allocateDirect(1 << 20);

        Populator(FileSystem fs, PrintStream err, boolean showProgress) {
            this.fs = fs;
            this.err = err;
            this.showProgress = showProgress;
        }

        void copyTree(Path src) throws IOException, FsException {
            copyTree(src, FileSystem.ROOT);
        }

        /** Copies the contents of host directory {@code src} into directory {@code target} (ext2 tool's put -r). */
        void copyTree(Path src, long target) throws IOException, FsException {
            if (!Files.isDirectory(src)) throw new IOException(src + ": not a directory");
            if (showProgress) {
                try (Stream<Path> s = Files.walk(src)) {
                    total = s.count() - 1;
                }
            }
            copyDir(src, target);
            applyAttrs(src, target, false);
            if (showProgress && total >= 1000) err.println();
        }

        private void progress() {
            done++;
            if (!showProgress || total < 1000) return;
            int p = (int) (done * 100 / total);
            if (p != lastPercent) {
                lastPercent = p;
                int bar = p / 2;
                err.print("\rcopying [" + "#".repeat(bar) + " ".repeat(50 - bar) + "] " + p + "% (" + done + "/" + total + ")");
                err.flush();
            }
        }

        private void copyDir(Path dir, long ino) throws IOException, FsException {
            List<Path> children = new ArrayList<>();
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
                for (Path p : ds) children.add(p);
            }
            children.sort(null);
            for (Path p : children) {
                Name name = hostName(p);
                if (ino == FileSystem.ROOT && name.equals(LOST_FOUND)) {
                    progress();
                    continue;
                }
                Map<String, Object> a = Files.readAttributes(p, "unix:mode,ino,dev,nlink,rdev", LinkOption.NOFOLLOW_LINKS);
                int mode = (Integer) a.get("mode");
                Object key = List.of(a.get("dev"), a.get("ino"));
                Long existing = !FileType.isDir(mode) && (Integer) a.get("nlink") > 1 ? inodeOf.get(key) : null;
                if (existing != null) {
                    fs.forget(fs.link(root, existing, ino, name).ino(), 1);
                    progress();
                    continue;
                }
                Entry e;
                switch (mode & FileType.S_IFMT) {
                    case FileType.S_IFDIR -> {
                        e = fs.mkdir(root, ino, name, mode & 07777, 0);
                        progress();
                        copyDir(p, e.ino());
                    }
                    case FileType.S_IFLNK -> {
                        e = fs.symlink(root, ino, name, hostLinkTarget(p));
                        progress();
                    }
                    case FileType.S_IFREG -> {
                        Created c = fs.create(root, ino, name, mode & 07777, OpenFlags.O_WRONLY, 0);
                        e = c.entry();
                        try {
                            copyData(p, e.ino(), c.opened().fh());
                        } finally {
                            fs.release(e.ino(), c.opened().fh(), 0);
                        }
                        progress();
                    }
                    default -> {
                        long rdev = ((Number) a.get("rdev")).longValue();
                        e = fs.mknod(root, ino, name, mode, (int) rdev, 0);
                        progress();
                    }
                }
                try {
                    if (!FileType.isDir(mode) && (Integer) a.get("nlink") > 1) inodeOf.put(key, e.ino());
                    applyAttrs(p, e.ino(), FileType.isLink(mode));
                } finally {
                    fs.forget(e.ino(), 1);
                }
            }
        }

        private void copyData(Path p, long ino, long fh) throws IOException, FsException {
            try (FileChannel in = FileChannel.open(p, StandardOpenOption.READ)) {
                ByteBuffer buf = copyBuffer;
                long off = 0;
                long size = in.size();
                bytes += size;
                while (off < size) {
                    // keep holes: skip ranges the host reports as holes
                    buf.clear();
                    int n = in.read(buf, off);
                    if (n <= 0) break;
                    buf.flip();
                    if (isZero(buf)) {
                        off += n;
                        continue;
                    }
                    while (buf.hasRemaining()) fs.write(root, ino, fh, off + buf.position(), buf, 0);
                    off += n;
                }
                fs.setattr(root, ino, SetAttr.size(size));
            }
        }

        private static boolean isZero(ByteBuffer b) {
            for (int i = b.position(); i < b.limit(); i++) if (b.get(i) != 0) return false;
            return true;
        }

        private void applyAttrs(Path p, long ino, boolean isLink) throws IOException, FsException {
            Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid,lastAccessTime,lastModifiedTime",
                    LinkOption.NOFOLLOW_LINKS);
            long at = toNs((FileTime) a.get("lastAccessTime")), mt = toNs((FileTime) a.get("lastModifiedTime"));
            int valid = SetAttr.UID | SetAttr.GID | SetAttr.ATIME | SetAttr.MTIME;
            if (!isLink) valid |= SetAttr.MODE;
            fs.setattr(root, ino, new SetAttr(valid, (Integer) a.get("mode") & 07777, (Integer) a.get("uid"),
                    (Integer) a.get("gid"), 0, at, mt, 0, -1));
            if (isLink) return;
            UserDefinedFileAttributeView x = Files.getFileAttributeView(p, UserDefinedFileAttributeView.class);
            if (x == null) return;
            try {
                for (String n : x.list()) {
                    ByteBuffer v = ByteBuffer.allocate(x.size(n));
                    x.read(n, v);
                    try {
                        fs.setxattr(root, ino, XattrName.of("user." + n), v.array(), 0);
                    } catch (FsException e) {
                        err.println("mkfs.ext2: " + p + ": xattr user." + n + " not copied: " + e.getMessage());
                    }
                }
            } catch (IOException | UnsupportedOperationException ignored) {
                // host file system without xattrs
            }
        }

        private static long toNs(FileTime t) {
            return t.to(java.util.concurrent.TimeUnit.NANOSECONDS);
        }
    }

}
