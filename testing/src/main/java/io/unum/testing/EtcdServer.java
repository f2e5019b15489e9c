package io.unum.testing;

import com.fasterxml.jackson.databind.JsonNode;
import io.unum.client.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A real {@code etcd} process on loopback ports, for tests and for the local cluster.
 *
 * <pre>{@code
 * try (EtcdServer etcd = EtcdServer.start()) {
 *     String endpoint = etcd.endpoint(); // http://127.0.0.1:PORT
 * }
 * }</pre>
 *
 * The binary is the system property {@value #BINARY_PROPERTY}, else {@code etcd} on the PATH,
 * else {@code /usr/bin/etcd}. Without a given data dir it uses a temporary one (with its log)
 * that {@link #close()} deletes.
 */
public final class EtcdServer extends LaunchedProcess {
    public static final String BINARY_PROPERTY = "unum.etcd.binary";
    private static final Duration HEALTH_DEADLINE = Duration.ofSeconds(15);
    private static final int BIND_ATTEMPTS = 5;

    private final int clientPort;
    private final int peerPort;
    private final Path dataDir;
    private final Path tempRoot;
    /** Null for plain HTTP without authentication (a bare etcd for a control plane's own tests). */
    private final ClusterPki tls;

    private EtcdServer(Builder config, int clientPort, int peerPort, Path dataDir, Path logFile, Path tempRoot) {
        super("etcd", config, logFile);
        this.tls = config.tls;
        this.clientPort = clientPort;
        this.peerPort = peerPort;
        this.dataDir = dataDir;
        this.tempRoot = tempRoot;
    }

    /** Starts etcd on free ports with a temporary data dir and waits until it is healthy. */
    public static EtcdServer start() {
        return builder().start();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** {@code https://127.0.0.1:PORT} ({@code http} without TLS), the value for {@code unum.etcd.endpoints}. */
    public String endpoint() {
        return (tls != null ? "https" : "http") + "://127.0.0.1:" + clientPort;
    }

    /** The certificates etcd serves with and requires of clients; null for a plain etcd. */
    public ClusterPki tls() {
        return tls;
    }

    public int clientPort() {
        return clientPort;
    }

    public int peerPort() {
        return peerPort;
    }

    public Path dataDir() {
        return dataDir;
    }

    /** Stops etcd (SIGTERM, SIGKILL after 5 s) and deletes a temporary data dir. */
    @Override
    public void close() {
        stop(Duration.ofSeconds(5));
        if (tempRoot != null) {
            OsProcesses.deleteRecursively(tempRoot);
        }
    }

    @Override
    public String toString() {
        return "etcd[" + endpoint() + ", pid " + pidOrDash() + "]";
    }

    /** The etcd binary to run, or a failure that says how to install it. */
    static String binary() {
        String configured = System.getProperty(BINARY_PROPERTY);
        if (configured != null && !configured.isBlank()) {
            if (!Files.isExecutable(Path.of(configured))) {
                throw new IllegalStateException("-D" + BINARY_PROPERTY + "=" + configured + " is not an executable file");
            }
            return configured;
        }
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(java.io.File.pathSeparator)) {
                if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "etcd"))) {
                    return Path.of(dir, "etcd").toString();
                }
            }
        }
        if (Files.isExecutable(Path.of("/usr/bin/etcd"))) {
            return "/usr/bin/etcd";
        }
        throw new IllegalStateException("etcd is not installed (not on PATH, not /usr/bin/etcd): run scripts/install-deps.sh"
                + " (Debian package etcd-server) or set -D" + BINARY_PROPERTY + "=<path>");
    }

    /** Options of an etcd to start; every one has a default. */
    public static final class Builder extends LaunchedProcess.Options<Builder> {
        private Path dataDir;
        private int clientPort;
        private int peerPort;
        private ClusterPki tls;

        /** The member name ({@code --name}) defaults to {@code unum-etcd}; the log to {@code etcd.log} beside the data dir. */
        private Builder() {
            super("unum-etcd");
        }

        /** The data dir, kept on close; default a temporary one deleted on close. */
        public Builder dataDir(Path dataDir) {
            this.dataDir = dataDir;
            return this;
        }

        /** A fixed client port; default 0 = a free one (retried on a bind collision). */
        public Builder clientPort(int port) {
            this.clientPort = port;
            return this;
        }

        /** A fixed peer port; default 0 = a free one (retried on a bind collision). */
        public Builder peerPort(int port) {
            this.peerPort = port;
            return this;
        }

        /**
         * Serves clients over TLS and requires a client certificate of {@code pki}'s etcd CA, which
         * only the control planes hold; default plain HTTP without authentication.
         */
        public Builder tls(ClusterPki pki) {
            this.tls = pki;
            return this;
        }

        /** Starts etcd and waits (15 s at most) until {@code /health} answers {@code "health":"true"}. */
        public EtcdServer start() {
            String binary = binary();
            Path tempRoot = null;
            Path data = dataDir;
            Path log = logFile;
            try {
                if (data == null) {
                    tempRoot = Files.createTempDirectory("unum-etcd-");
                    data = tempRoot.resolve("data");
                }
                data = data.toAbsolutePath();
                Files.createDirectories(data.getParent());
                if (log == null) {
                    log = data.resolveSibling("etcd.log");
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot prepare the etcd data dir", e);
            }
            boolean autoPorts = clientPort == 0 || peerPort == 0;
            for (int attempt = 1; ; attempt++) {
                int client = clientPort != 0 ? clientPort : Ports.free();
                int peer = peerPort != 0 ? peerPort : Ports.free();
                while (peer == client) {
                    peer = Ports.free();
                }
                EtcdServer server = new EtcdServer(this, client, peer, data, log, tempRoot);
                server.launch(binary);
                try {
                    server.awaitHealthy();
                    return server;
                } catch (RuntimeException e) {
                    server.stop(Duration.ofSeconds(5));
                    boolean collision = server.diedOfBindFailure();
                    if (collision && autoPorts && attempt < BIND_ATTEMPTS) {
                        if (tempRoot != null) {
                            OsProcesses.deleteRecursively(data);
                        }
                        continue;
                    }
                    if (tempRoot != null) {
                        OsProcesses.deleteRecursively(tempRoot); // the message already carries the log tail
                    }
                    throw e;
                }
            }
        }
    }

    private void launch(String binary) {
        String clientUrl = endpoint();
        String peerUrl = "http://127.0.0.1:" + peerPort;
        List<String> cmd = new ArrayList<>(List.of(binary,
                "--name", name(),
                "--data-dir", dataDir.toString(),
                "--listen-client-urls", clientUrl,
                "--advertise-client-urls", clientUrl,
                "--listen-peer-urls", peerUrl,
                "--initial-advertise-peer-urls", peerUrl,
                "--initial-cluster", name() + "=" + peerUrl,
                "--initial-cluster-state", "new",
                "--logger", "zap"));
        if (tls != null) {
            cmd.addAll(List.of("--cert-file", tls.etcdServerCert().toString(), "--key-file", tls.etcdServerKey().toString(),
                    "--client-cert-auth", "--trusted-ca-file", tls.etcdCaCert().toString()));
        }
        // ETCD_* variables (e.g. from /etc/default/etcd) would clash with the flags.
        spawn(cmd, env -> env.keySet().removeIf(k -> k.startsWith("ETCD_")));
    }

    /** Whether the etcd answering on our client port is ours (not one that held the port before us). */
    private boolean isOurs(HttpClient http) throws IOException, InterruptedException {
        HttpRequest list = HttpRequest.newBuilder(URI.create(endpoint() + "/v3/cluster/member/list"))
                .timeout(Duration.ofSeconds(2)).POST(HttpRequest.BodyPublishers.ofString("{}")).build();
        HttpResponse<String> r = http.send(list, HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            return false;
        }
        for (var member : Json.read(r.body(), JsonNode.class).path("members")) {
            for (var url : member.path("peerURLs")) {
                if (url.asText().equals("http://127.0.0.1:" + peerPort)) {
                    return isAlive();
                }
            }
        }
        return false;
    }

    private void awaitHealthy() {
        HttpClient.Builder client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1));
        if (tls != null) {
            client.sslContext(tls.etcdClientContext());
        }
        awaitAnswer(client.build(), "etcd", URI.create(endpoint() + "/health"), HEALTH_DEADLINE, Duration.ofMillis(100), (r, http) -> {
            if (r.statusCode() != 200 || !r.body().replace(" ", "").contains("\"health\":\"true\"")) {
                return "HTTP " + r.statusCode() + " " + r.body();
            }
            return isOurs(http) ? null : "a different etcd answers on " + endpoint();
        });
    }
}
