package io.strata.verity;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HexFormat;

/**
 * {@code strata verity ...}: {@code digest FILE...} prints what {@code fsverity digest} prints, with
 * the same options, messages and exit codes (0 success, 1 an error on a file, 2 a usage error). Like
 * fsverity it stops at the first file that fails. {@code --out-merkle-tree}/{@code --out-descriptor}
 * write the tree and descriptor of each file in turn (the last file's remain).
 */
public final class VerityCommand {
    private VerityCommand() {}

    /** Opens a tree to seal (a host directory, an ext2 image) read-write; the command owns what it returns. */
    public interface LayerOpener {
        io.strata.core.FileSystem open(Path source) throws IOException;
    }

    static final String SEAL_USAGE = """
            Usage: strata verity seal DIR|IMAGE [--manifest OUT] [--hash-alg=sha256|sha512] [--block-size=N]
              Enables fs-verity on every regular file of the tree (a host directory or an ext2 image;
              the Merkle trees are stored as a -o verity mount stores them) and writes the manifest:
              one 'ALG:DIGEST /path' line per file. Mount it with -o manifest=OUT to pin the tree.""";

    public static int run(String[] args, PrintStream out, PrintStream err) {
        return run(args, out, err, null);
    }

    public static int run(String[] args, PrintStream out, PrintStream err, LayerOpener opener) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("help")) {
            (args.length == 0 ? err : out).println("Usage: strata verity digest FILE... [options]   (see 'strata verity digest --help')\n"
                    + "       strata verity seal DIR|IMAGE [--manifest OUT]   (see 'strata verity seal --help')");
            return args.length == 0 ? 2 : 0;
        }
        return switch (args[0]) {
            case "digest" -> digest(args, out, err);
            case "seal" -> seal(args, out, err, opener);
            case "gc" -> gc(args, out, err, opener);
            default -> {
                err.println("ERROR: unknown verity command '" + args[0] + "' (known: digest, seal, gc)");
                yield 2;
            }
        };
    }

    /** {@code gc DIR|IMAGE}: removes the stored trees of deleted or replaced verity files (offline). */
    private static int gc(String[] args, PrintStream out, PrintStream err, LayerOpener opener) {
        if (args.length != 2 || args[1].startsWith("-")) {
            (args.length == 2 ? out : err).println("Usage: strata verity gc DIR|IMAGE   (removes Merkle trees no verity file uses; "
                    + "run it while the tree is not mounted)");
            return args.length == 2 ? 0 : 2;
        }
        if (opener == null) {
            err.println("ERROR: gc needs the strata command (it opens directories and images)");
            return 2;
        }
        io.strata.core.FileSystem layer;
        try {
            layer = opener.open(Path.of(args[1]));
        } catch (IOException | RuntimeException e) {
            err.println("ERROR: cannot open '" + args[1] + "': " + e.getMessage());
            return 1;
        }
        try {
            VerityFileSystem v = new VerityFileSystem(layer);
            try {
                Sealer.Result r = Sealer.collect(v);
                out.println(args[1] + ": " + r.already() + " verity files; removed " + r.treesRemoved() + " unused Merkle trees");
                return 0;
            } finally {
                v.close();
            }
        } catch (io.strata.core.FsException e) {
            err.println("ERROR: '" + args[1] + "': " + e.describe());
            return 1;
        } finally {
            layer.close();
        }
    }

    private static int seal(String[] args, PrintStream out, PrintStream err, LayerOpener opener) {
        String source = null, manifestOut = null;
        HashAlgorithm alg = HashAlgorithm.byLabel("sha256");
        int blockSize = VerityParams.DEFAULT_BLOCK_SIZE;
        for (int i = 1; i < args.length; i++) {
            String a = args[i];
            if (a.equals("-h") || a.equals("--help")) {
                out.println(SEAL_USAGE);
                return 0;
            } else if (a.equals("--manifest") && i + 1 < args.length) {
                manifestOut = args[++i];
            } else if (a.startsWith("--manifest=")) {
                manifestOut = a.substring("--manifest=".length());
            } else if (a.startsWith("--hash-alg=")) {
                alg = HashAlgorithm.byLabel(a.substring("--hash-alg=".length()));
                if (alg == null) {
                    err.println("ERROR: unknown hash algorithm '" + a.substring("--hash-alg=".length()) + "'");
                    return 2;
                }
            } else if (a.startsWith("--block-size=")) {
                try {
                    blockSize = Integer.parseInt(a.substring("--block-size=".length()));
                } catch (NumberFormatException e) {
                    err.println("ERROR: bad block size '" + a + "'");
                    return 2;
                }
            } else if (a.startsWith("-") || source != null) {
                err.println("ERROR: unexpected argument '" + a + "'");
                err.println(SEAL_USAGE);
                return 2;
            } else {
                source = a;
            }
        }
        if (source == null) {
            err.println(SEAL_USAGE);
            return 2;
        }
        if (opener == null) {
            err.println("ERROR: sealing needs the strata command (it opens directories and images)");
            return 2;
        }
        VerityParams params;
        try {
            params = new VerityParams(alg, blockSize, new byte[0]);
        } catch (IllegalArgumentException e) {
            err.println("ERROR: " + e.getMessage());
            return 2;
        }
        io.strata.core.FileSystem layer;
        try {
            layer = opener.open(Path.of(source));
        } catch (IOException | RuntimeException e) {
            err.println("ERROR: cannot open '" + source + "': " + e.getMessage());
            return 1;
        }
        try {
            VerityFileSystem v = new VerityFileSystem(layer);
            Sealer.Result r;
            try {
                r = Sealer.seal(v, params);
            } finally {
                v.close();
            }
            if (manifestOut != null) r.manifest().write(Path.of(manifestOut));
            out.println("sealed " + source + ": " + r.manifest().size() + " files (" + r.enabled() + " newly, " + r.already()
                    + " had verity)" + (manifestOut != null ? "; manifest " + manifestOut : "")
                    + (r.treesRemoved() > 0 ? "; removed " + r.treesRemoved() + " unused Merkle trees" : ""));
            return 0;
        } catch (io.strata.core.FsException e) {
            err.println("ERROR: sealing '" + source + "': " + e.describe());
            return 1;
        } catch (IOException e) {
            err.println("ERROR: writing the manifest: " + e.getMessage());
            return 1;
        } finally {
            layer.close();
        }
    }

    private static int digest(String[] args, PrintStream out, PrintStream err) {
        for (int i = 1; i < args.length; i++) {
            if (args[i].equals("--")) break;
            if (args[i].equals("--help") || args[i].equals("-h")) {
                out.println(DigestOptions.USAGE);
                return 0;
            }
        }
        DigestOptions o;
        try {
            o = DigestOptions.parse(args, 1);
        } catch (DigestOptions.UsageException e) {
            if (e.getMessage() != null) err.println(e.getMessage());
            if (e.exitCode == 2) err.println(DigestOptions.USAGE);
            return e.exitCode;
        }
        for (String name : o.files()) {
            MerkleTree t;
            try (FileChannel ch = FileChannel.open(Path.of(name))) {
                if (Files.isDirectory(Path.of(name))) {
                    err.println("ERROR: reading from '" + name + "': Is a directory");
                    return 1;
                }
                t = MerkleTree.build(o.params(), ch.size(), DataSource.positional(ch));
            } catch (NoSuchFileException e) {
                err.println("ERROR: can't open '" + name + "' for reading: No such file or directory");
                return 1;
            } catch (AccessDeniedException e) {
                err.println("ERROR: can't open '" + name + "' for reading: Permission denied");
                return 1;
            } catch (IllegalArgumentException | IOException e) {
                err.println("ERROR: reading from '" + name + "': " + e.getMessage());
                return 1;
            }
            VerityDescriptor d = t.descriptor();
            if (!write(o.outMerkleTree(), t.treeBytes(), err) || !write(o.outDescriptor(), d.encode(), err)) return 2;
            String hex = HexFormat.of().formatHex(o.forBuiltinSig() ? formattedDigest(d) : d.digest());
            out.println(o.compact() ? hex : (o.forBuiltinSig() ? hex : d.params().algorithm().label + ":" + hex) + " " + name);
        }
        out.flush();
        return 0;
    }

    /** {@code struct fsverity_formatted_digest}: "FSVerity", le16 algorithm, le16 size, digest (what a builtin signature signs). */
    static byte[] formattedDigest(VerityDescriptor d) {
        byte[] digest = d.digest();
        ByteBuffer b = ByteBuffer.allocate(12 + digest.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put("FSVerity".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        b.putShort((short) d.params().algorithm().id).putShort((short) digest.length).put(digest);
        return b.array();
    }

    private static boolean write(String file, byte[] bytes, PrintStream err) {
        if (file == null) return true;
        try {
            Files.write(Path.of(file), bytes);
            return true;
        } catch (IOException e) {
            String why = e instanceof NoSuchFileException ? "No such file or directory"
                    : e instanceof AccessDeniedException ? "Permission denied" : String.valueOf(e.getMessage());
            err.println("ERROR: can't open '" + file + "' for writing: " + why);
            err.println(DigestOptions.USAGE);
            return false;
        }
    }
}
