package io.strata.it;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * One nginx serving a directory with sendfile on (the kernel's splice path through a mount), in
 * the foreground on a free local port, its state in a temp prefix; close stops it and removes that.
 */
final class Nginx implements AutoCloseable {
    final int port;
    private final Path prefix;
    private final Process process;

    private Nginx(int port, Path prefix, Process process) {
        this.port = port;
        this.prefix = prefix;
        this.process = process;
    }

    static Nginx serve(Path root) throws Exception {
        Path prefix = Files.createTempDirectory(Path.of("/tmp"), "strata-it-nginx");
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Files.writeString(prefix.resolve("nginx.conf"), """
                daemon off;
                master_process off;
                worker_processes 1;
                pid %1$s/nginx.pid;
                error_log %1$s/error.log;
                events { worker_connections 64; }
                http {
                  access_log off;
                  sendfile on;
                  tcp_nopush on;
                  open_file_cache off;
                  client_body_temp_path %1$s/body;
                  proxy_temp_path %1$s/proxy;
                  fastcgi_temp_path %1$s/fastcgi;
                  uwsgi_temp_path %1$s/uwsgi;
                  scgi_temp_path %1$s/scgi;
                  server { listen 127.0.0.1:%2$d; root %3$s; location / { } }
                }
                """.formatted(prefix, port, root));
        Process p = new ProcessBuilder("nginx", "-c", prefix.resolve("nginx.conf").toString(), "-p", prefix.toString())
                .redirectErrorStream(true).redirectOutput(prefix.resolve("out.log").toFile()).start();
        Nginx n = new Nginx(port, prefix, p);
        try {
            n.waitForPort();
            return n;
        } catch (Exception e) {
            n.close();
            throw e;
        }
    }

    String url(String path) {
        return "http://127.0.0.1:" + port + path;
    }

    boolean sendfileOn() throws IOException {
        return Files.readString(prefix.resolve("nginx.conf")).contains("sendfile on");
    }

    private void waitForPort() throws Exception {
        for (int i = 0; i < 200; i++) {
            try (var s = new java.net.Socket("127.0.0.1", port)) {
                return;
            } catch (IOException notYet) {
                if (!process.isAlive()) throw new IOException("nginx exited: " + Files.readString(prefix.resolve("out.log")));
                Thread.sleep(25);
            }
        }
        throw new IOException("nginx did not listen on " + port);
    }

    @Override
    public void close() throws Exception {
        process.destroy();
        process.waitFor(10, TimeUnit.SECONDS);
        process.destroyForcibly();
        Sh.rm(prefix);
    }
}
