package io.strata.verity;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The command line of {@code fsverity digest}, parsed as its getopt_long does: options anywhere
 * among the files, {@code --opt=V} or {@code --opt V}, unambiguous prefixes ({@code --hash}),
 * {@code --} ends the options. Value options may be given once.
 */
record DigestOptions(VerityParams params, String outMerkleTree, String outDescriptor, boolean compact,
                     boolean forBuiltinSig, List<String> files) {

    /** A command-line error: {@code usage} says whether fsverity also prints its usage (exit 2). */
    static final class UsageException extends Exception {
        final int exitCode;

        UsageException(String message, int exitCode) {
            super(message, null, false, false);
            this.exitCode = exitCode;
        }
    }

    static final String USAGE = """
            Usage:
                strata verity digest FILE...
                           [--hash-alg=HASH_ALG] [--block-size=BLOCK_SIZE] [--salt=SALT]
                           [--out-merkle-tree=FILE] [--out-descriptor=FILE]
                           [--compact] [--for-builtin-sig]""";

    private static final String[] WITH_VALUE = {"hash-alg", "block-size", "salt", "out-merkle-tree", "out-descriptor"};
    private static final String[] FLAGS = {"compact", "for-builtin-sig"};

    static DigestOptions parse(String[] args, int from) throws UsageException {
        String alg = null, bs = null, salt = null, tree = null, desc = null;
        boolean compact = false, builtin = false, optionsEnded = false;
        List<String> files = new ArrayList<>();
        for (int i = from; i < args.length; i++) {
            String a = args[i];
            if (optionsEnded || !a.startsWith("-") || a.equals("-")) {
                files.add(a);
                continue;
            }
            if (a.equals("--")) {
                optionsEnded = true;
                continue;
            }
            if (!a.startsWith("--")) throw new UsageException("digest: invalid option -- '" + a.charAt(1) + "'", 2);
            int eq = a.indexOf('=');
            String given = a.substring(2, eq < 0 ? a.length() : eq);
            String name = resolve(given, a);
            String value = eq < 0 ? null : a.substring(eq + 1);
            if (isFlag(name)) {
                if (value != null) throw new UsageException("digest: option '--" + name + "' doesn't allow an argument", 2);
                if (name.equals("compact")) compact = true;
                else builtin = true;
                continue;
            }
            if (value == null) {
                if (++i == args.length) throw new UsageException("digest: option '--" + name + "' requires an argument", 2);
                value = args[i];
            }
            String once = "ERROR: --" + name + " can only be specified once";
            switch (name) {
                case "hash-alg" -> { if (alg != null) throw new UsageException(once, 2); alg = value; }
                case "block-size" -> { if (bs != null) throw new UsageException(once, 2); bs = value; }
                case "salt" -> { if (salt != null) throw new UsageException(once, 2); salt = value; }
                case "out-merkle-tree" -> { if (tree != null) throw new UsageException(once, 2); tree = value; }
                default -> { if (desc != null) throw new UsageException(once, 2); desc = value; }
            }
        }
        if (files.isEmpty()) throw new UsageException(null, 2);
        return new DigestOptions(params(alg, bs, salt), tree, desc, compact, builtin, List.copyOf(files));
    }

    private static boolean isFlag(String name) {
        return name.equals(FLAGS[0]) || name.equals(FLAGS[1]);
    }

    /** getopt_long: an exact name, or a prefix of exactly one name. */
    private static String resolve(String given, String arg) throws UsageException {
        String match = null;
        for (String[] names : new String[][] {WITH_VALUE, FLAGS}) {
            for (String n : names) {
                if (n.equals(given)) return n;
                if (!given.isEmpty() && n.startsWith(given)) {
                    if (match != null) throw new UsageException("digest: option '" + arg + "' is ambiguous", 2);
                    match = n;
                }
            }
        }
        if (match == null) throw new UsageException("digest: unrecognized option '" + arg + "'", 2);
        return match;
    }

    private static VerityParams params(String alg, String bs, String salt) throws UsageException {
        HashAlgorithm a = HashAlgorithm.SHA256;
        if (alg != null) {
            a = HashAlgorithm.byLabel(alg);
            if (a == null)
                throw new UsageException("ERROR: unknown hash algorithm: '" + alg + "'\nAvailable hash algorithms: sha256 sha512", 2);
        }
        int blockSize = VerityParams.DEFAULT_BLOCK_SIZE;
        if (bs != null) {
            try {
                blockSize = Integer.parseInt(bs);
            } catch (NumberFormatException e) {
                blockSize = -1;
            }
            if (blockSize <= 0 || Integer.bitCount(blockSize) != 1)
                throw new UsageException("ERROR: Invalid block size: " + bs + ".  Must be power of 2", 2);
        }
        byte[] s = null;
        if (salt != null) {
            try {
                s = HexFormat.of().parseHex(salt);
            } catch (IllegalArgumentException e) {
                throw new UsageException("ERROR: salt is not a valid hex string", 2);
            }
            if (s.length > VerityParams.MAX_SALT)
                throw new UsageException("ERROR: unsupported salt size (" + s.length + ")", 1);
        }
        try {
            return new VerityParams(a, blockSize, s);
        } catch (IllegalArgumentException e) {
            throw new UsageException("ERROR: " + e.getMessage(), 1);
        }
    }
}
