package io.strata.cli;

import io.strata.core.FileSystem;
import io.strata.ninep.NinepServer;
import io.strata.ninep.NinepServerOptions;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

/**
 * {@code strata serve9p SOURCE --listen tcp:HOST:PORT|unix:PATH [-o OPTS]}: exports a stack over
 * 9P2000.L until SIGTERM or Ctrl-C. SOURCE is named as for the mount helper (memory, a directory,
 * an image file, TYPE:PATH). The command builds and owns the file system, as {@code mount} does;
 * the server only attaches sessions to it.
 */
final class ServeCommand {
    private ServeCommand() {}

    static final String HELP = """
            usage: strata serve9p SOURCE --listen tcp:HOST:PORT|unix:PATH [-o OPTIONS]

            SOURCE: memory, a host directory, an ext2 image, or TYPE:PATH (ext2:disk.img)
            Serves 9P2000.L (and gVisor's 9P2000.L.Google extensions) until SIGTERM or Ctrl-C.

            options (besides the backend options of strata mount --help: cache=, ro, size=, ...):
              squash=UID:GID    the identity an attach as root is given (default 65534:65534)
              nosquash          root stays root (trusted clients only)
              allow=UID[:UID...]   only these uids (as the client names them) may attach
              msize=SIZE        the largest message size agreed (default and maximum 1M + header)
            """;

    static int run(String[] args, PrintStream out, PrintStream err) throws UsageException {
        List<String> operands = new ArrayList<>();
        List<String> opts = new ArrayList<>();
        String listen = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "-h", "--help" -> {
                    out.print(HELP);
                    return 0;
                }
                case "--listen", "-l" -> listen = value(args, ++i, a);
                case "-o" -> opts.add(value(args, ++i, "-o"));
                default -> {
                    if (a.startsWith("--listen=")) listen = a.substring("--listen=".length());
                    else if (a.startsWith("-o") && a.length() > 2) opts.add(a.substring(2));
                    else if (a.startsWith("-")) throw new UsageException("unknown flag " + a + " (see strata serve9p --help)");
                    else operands.add(a);
                }
            }
        }
        if (operands.size() != 1) throw new UsageException("usage: strata serve9p SOURCE --listen tcp:HOST:PORT|unix:PATH [-o OPTS]");
        if (listen == null) throw new UsageException("serve9p needs --listen tcp:HOST:PORT or unix:PATH");
        SocketAddress addr = address(listen);

        // The server's own options; the rest are the backend's.
        NinepServerOptions so = NinepServerOptions.defaults();
        List<String> backendOpts = new ArrayList<>();
        for (String v : opts) {
            for (String o : v.split(",")) {
                if (o.isBlank()) continue;
                if (o.startsWith("squash=")) {
                    String[] ug = o.substring(7).split(":");
                    if (ug.length != 2) throw new UsageException("squash needs UID:GID, e.g. squash=65534:65534");
                    so = so.withSquash(true, number(ug[0], "squash uid"), number(ug[1], "squash gid"));
                } else if (o.equals("nosquash")) {
                    so = so.withSquash(false, so.squashUid(), so.squashGid());
                } else if (o.startsWith("allow=")) {
                    Set<Integer> uids = new HashSet<>();
                    for (String u : o.substring(6).split(":")) uids.add(number(u, "allow uid"));
                    so = so.withAllowedUids(uids);
                } else if (o.startsWith("msize=")) {
                    long m = MountOptions.parseSize(o.substring(6));
                    if (m < NinepServerOptions.MIN_MSIZE || m > NinepServerOptions.MAX_MSIZE) {
                        throw new UsageException("msize must be between " + NinepServerOptions.MIN_MSIZE + " and "
                                + NinepServerOptions.MAX_MSIZE);
                    }
                    so = so.withMsizeCap((int) m);
                } else {
                    backendOpts.add(o);
                }
            }
        }
        List<String> backend = MountHelper.backendOf(operands.get(0));
        Backends.Kind kind = Backends.kind(backend.get(0));
        Path source = backend.size() > 1 ? Path.of(backend.get(1)).toAbsolutePath().normalize() : null;
        MountOptions mo = MountOptions.parse(backendOpts, kind.defaultCache(), kind.writebackByDefault());
        Backends.check(kind, source, mo);

        FileSystem fs;
        try {
            fs = Backends.open(kind, source, mo);
        } catch (IOException e) {
            err.println("strata: " + e.getMessage());
            return 1;
        }
        NinepServer server;
        try {
            server = NinepServer.start(fs, addr, so);
        } catch (IOException e) {
            fs.close();
            err.println("strata: cannot listen on " + listen + ": " + e.getMessage());
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            try {
                server.close();
                fs.close();
            } finally {
                stopped.countDown();
            }
        }, "strata-serve9p-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        err.println("strata: serving " + operands.get(0) + " over 9P2000.L on " + listen + " (cache="
                + fs.cachePolicy().mode().option() + ", pid " + ProcessHandle.current().pid() + ")");
        try {
            stopped.await(); // until SIGTERM / Ctrl-C runs the hook
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }

    /** tcp:HOST:PORT (HOST may be [v6]) or unix:PATH. */
    static SocketAddress address(String spec) throws UsageException {
        if (spec.startsWith("unix:")) {
            String p = spec.substring(5);
            if (p.isEmpty()) throw new UsageException("unix: needs a socket path");
            if (Files.exists(Path.of(p))) throw new UsageException(p + " exists; remove it or pick another socket path");
            return UnixDomainSocketAddress.of(p);
        }
        if (spec.startsWith("tcp:")) {
            String hp = spec.substring(4);
            int colon = hp.lastIndexOf(':');
            if (colon <= 0) throw new UsageException("tcp: needs HOST:PORT, e.g. tcp:127.0.0.1:5640");
            String host = hp.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
            int port = number(hp.substring(colon + 1), "port");
            if (port > 65535) throw new UsageException("port must be 0..65535");
            return new InetSocketAddress(host, port);
        }
        throw new UsageException("--listen takes tcp:HOST:PORT or unix:PATH, not '" + spec + "'");
    }

    private static int number(String s, String what) throws UsageException {
        try {
            int n = Integer.parseInt(s.trim());
            if (n < 0) throw new NumberFormatException();
            return n;
        } catch (NumberFormatException e) {
            throw new UsageException(what + " must be a number, not '" + s + "'");
        }
    }

    private static String value(String[] args, int i, String flag) throws UsageException {
        if (i >= args.length) throw new UsageException(flag + " needs a value");
        return args[i];
    }
}
