package io.unum.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The Quarkus control plane ({@code control-plane/target/quarkus-app/quarkus-run.jar}) as a real
 * OS process, configured through system properties and, for its tokens, environment variables:
 *
 * <pre>{@code
 * try (ControlPlaneProcess cp = ControlPlaneProcess.builder()
 *         .etcdEndpoints(etcd.endpoint()).adminTokens("a").viewerTokens("v").joinToken("j")
 *         .start()) {
 *     cp.httpUrl(); cp.grpcAddress();
 * }
 * }</pre>
 */
public final class ControlPlaneProcess extends LaunchedProcess {
    private static final Duration READY_DEADLINE = Duration.ofSeconds(60);
    private static final int BIND_ATTEMPTS = 3;

    private final Builder config;
    private final boolean tempLog;
    private final boolean autoPorts;
    private int httpPort;
    /** 0 unless REST is also served over HTTPS. */
    private int httpsPort;
    private int grpcPort;
    /** {@code unum.tls.agent-port}: where agents join and then call with their certificates. */
    private int agentPort;

    private ControlPlaneProcess(Builder config, Path logFile, boolean tempLog) {
        super("control-plane", config, logFile);
        this.config = config;
        this.tempLog = tempLog;
        this.autoPorts = config.httpPort == 0 || config.grpcPort == 0 || config.agentPort == 0;
        this.httpPort = config.httpPort != 0 ? config.httpPort : Ports.free();
        this.grpcPort = config.grpcPort != 0 ? config.grpcPort : Ports.free();
        while (grpcPort == httpPort) {
            grpcPort = Ports.free();
        }
        this.agentPort = freeAgentPort();
        if (config.https) {
            do {
                httpsPort = Ports.free();
            } while (httpsPort == httpPort || httpsPort == grpcPort);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** {@code http://127.0.0.1:PORT}: REST under {@code /api/v1}, OpenAPI, Swagger UI, health. */
    public String httpUrl() {
        return "http://127.0.0.1:" + httpPort;
    }

    /** {@code 127.0.0.1:PORT}: the public gRPC API (bearer tokens, plain text). */
    public String grpcAddress() {
        return "127.0.0.1:" + grpcPort;
    }

    /** {@code 127.0.0.1:PORT} of the agent port (TLS), the value for an agent's {@code --control-plane}. */
    public String agentAddress() {
        return "127.0.0.1:" + agentPort;
    }

    public int agentPort() {
        return agentPort;
    }

    private int freeAgentPort() {
        int port = config.agentPort;
        while (port == 0 || port == httpPort || port == grpcPort) {
            port = Ports.free();
        }
        return port;
    }

    /**
     * {@code https://127.0.0.1:PORT}: the same REST API over HTTPS with the control plane's
     * certificate (cluster CA), when started with {@link Builder#https(boolean)}.
     */
    public String httpsUrl() {
        if (httpsPort == 0) {
            throw new IllegalStateException(name() + " serves no HTTPS: start it with https(true)");
        }
        return "https://127.0.0.1:" + httpsPort;
    }

    public int httpPort() {
        return httpPort;
    }

    public int grpcPort() {
        return grpcPort;
    }

    /** Starts it again on the same ports (after {@link #kill()} or {@link #close()}) and waits until ready. */
    public ControlPlaneProcess restart() {
        requireStopped();
        launch();
        awaitReady();
        return this;
    }

    /** SIGTERM, SIGKILL if it is still there after 10 s. */
    @Override
    public void close() {
        stop(Duration.ofSeconds(10));
        if (tempLog) {
            try {
                Files.deleteIfExists(logFile());
            } catch (IOException ignored) {
                // best effort
            }
        }
    }

    @Override
    public String toString() {
        return name() + "[" + httpUrl() + ", grpc " + grpcAddress() + ", agents " + agentAddress() + ", pid " + pidOrDash() + "]";
    }

    void launch() {
        Map<String, String> props = new LinkedHashMap<>();
        props.put("quarkus.http.port", Integer.toString(httpPort));
        props.put("quarkus.grpc.server.port", Integer.toString(grpcPort));
        props.put("unum.tls.agent-port", Integer.toString(agentPort));
        props.put("unum.etcd.endpoints", config.etcdEndpoints);
        props.put("unum.node.down-grace", config.downGrace.toString());
        if (config.tls != null) {
            ClusterPki pki = config.tls;
            props.put("unum.tls.ca-cert", pki.caCert().toString());
            props.put("unum.tls.ca-key", pki.caKey().toString());
            props.put("unum.tls.cert", pki.controlPlaneCert().toString());
            props.put("unum.tls.key", pki.controlPlaneKey().toString());
            props.put("unum.etcd.tls.ca-cert", pki.etcdCaCert().toString());
            props.put("unum.etcd.tls.cert", pki.etcdClientCert().toString());
            props.put("unum.etcd.tls.key", pki.etcdClientKey().toString());
            if (httpsPort != 0) {
                // Quarkus's TLS registry: a named configuration, so nothing else picks it up by default.
                props.put("quarkus.tls.unum-rest.key-store.pem.0.cert", pki.controlPlaneCert().toString());
                props.put("quarkus.tls.unum-rest.key-store.pem.0.key", pki.controlPlaneKey().toString());
                props.put("quarkus.http.tls-configuration-name", "unum-rest");
                props.put("quarkus.http.ssl-port", Integer.toString(httpsPort));
            }
        }
        props.putAll(config.properties);
        List<String> cmd = new ArrayList<>();
        cmd.add(OsProcesses.javaBinary());
        cmd.add("-Xmx256m");
        cmd.addAll(config.jvmArgs);
        props.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        cmd.add("-jar");
        cmd.add(config.jar.toString());
        // Tokens travel in the environment, which only the process's own user can read; a -D
        // property would be on the command line, readable by every user of the host.
        spawn(cmd, env -> {
            env.put("UNUM_AUTH_ADMIN_TOKENS", config.adminTokens);
            env.put("UNUM_AUTH_VIEWER_TOKENS", config.viewerTokens);
            env.put("UNUM_AUTH_JOIN_TOKEN", config.joinToken);
        });
    }

    /** Waits until {@code /q/health/ready} answers 200; fails early, with the log tail, if the process dies. */
    void awaitReady() {
        for (int attempt = 1; ; attempt++) {
            try {
                awaitAnswer(name() + " (" + httpUrl() + ")", URI.create(httpUrl() + "/q/health/ready"), READY_DEADLINE,
                        Duration.ofMillis(200), (r, http) -> r.statusCode() == 200 ? null : "HTTP " + r.statusCode() + " " + r.body());
                return;
            } catch (ProcessDiedException e) {
                if (autoPorts && attempt < BIND_ATTEMPTS && diedOfBindFailure()) {
                    httpPort = config.httpPort != 0 ? config.httpPort : Ports.free();
                    grpcPort = config.grpcPort != 0 ? config.grpcPort : Ports.free();
                    agentPort = freeAgentPort();
                    launch();
                    continue;
                }
                throw e;
            }
        }
    }

    /** Options of a control plane to start. etcd endpoints and the three tokens are required. */
    public static final class Builder extends LaunchedProcess.Options<Builder> {
        private Path jar;
        private String etcdEndpoints;
        private String adminTokens;
        private String viewerTokens;
        private String joinToken;
        private Duration downGrace = Duration.ofSeconds(10);
        private ClusterPki tls;
        private boolean https;
        private int httpPort;
        private int grpcPort;
        private int agentPort;
        private final Map<String, String> properties = new LinkedHashMap<>();
        private final List<String> jvmArgs = new ArrayList<>();

        /** The name defaults to {@code control-plane}; the log to a temporary file deleted on close. */
        private Builder() {
            super("control-plane");
        }

        /** The runnable jar; default {@code control-plane/target/quarkus-app/quarkus-run.jar} of the repository. */
        public Builder jar(Path jar) {
            this.jar = jar;
            return this;
        }

        /** {@code unum.etcd.endpoints}: a comma list of etcd client URLs. */
        public Builder etcdEndpoints(String endpoints) {
            this.etcdEndpoints = endpoints;
            return this;
        }

        /** {@code unum.auth.admin-tokens}: a comma list. */
        public Builder adminTokens(String tokens) {
            this.adminTokens = tokens;
            return this;
        }

        /** {@code unum.auth.viewer-tokens}: a comma list. */
        public Builder viewerTokens(String tokens) {
            this.viewerTokens = tokens;
            return this;
        }

        /** {@code unum.auth.join-token}. */
        public Builder joinToken(String token) {
            this.joinToken = token;
            return this;
        }

        /**
         * The cluster CA and certificates ({@code unum.tls.*}: enrol and call agents;
         * {@code unum.etcd.tls.*}: etcd's client certificate). Only file names go on the command line.
         */
        public Builder tls(ClusterPki pki) {
            this.tls = pki;
            return this;
        }

        /** Also serve REST over HTTPS with the control-plane certificate of {@link #tls(ClusterPki)} (default off). */
        public Builder https(boolean on) {
            this.https = on;
            return this;
        }

        /** {@code unum.node.down-grace}; default 10 s. */
        public Builder downGrace(Duration grace) {
            this.downGrace = grace;
            return this;
        }

        /** A fixed HTTP port; default 0 = a free one. */
        public Builder httpPort(int port) {
            this.httpPort = port;
            return this;
        }

        /** A fixed agent port ({@code unum.tls.agent-port}); default 0 = a free one. */
        public Builder agentPort(int port) {
            this.agentPort = port;
            return this;
        }

        /** A fixed gRPC port; default 0 = a free one. */
        public Builder grpcPort(int port) {
            this.grpcPort = port;
            return this;
        }

        /** One more system property for the control plane (overrides the ones above). */
        public Builder property(String key, String value) {
            properties.put(key, value);
            return this;
        }

        /** More system properties for the control plane (override the ones above). */
        public Builder properties(Map<String, String> more) {
            properties.putAll(more);
            return this;
        }

        /** Extra JVM options, e.g. a debug agent. */
        public Builder jvmArgs(List<String> args) {
            jvmArgs.addAll(args);
            return this;
        }

        /** Starts the process without waiting; call {@link #start()} to also wait until it is ready. */
        ControlPlaneProcess launch() {
            Objects.requireNonNull(etcdEndpoints, "etcdEndpoints");
            Objects.requireNonNull(adminTokens, "adminTokens");
            Objects.requireNonNull(viewerTokens, "viewerTokens");
            Objects.requireNonNull(joinToken, "joinToken");
            if (jar == null) {
                jar = RepoLayout.locate().controlPlaneJar();
            }
            Path log = logFile;
            boolean temp = false;
            if (log == null) {
                try {
                    log = Files.createTempFile("unum-" + name + "-", ".log");
                    temp = true;
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            ControlPlaneProcess cp = new ControlPlaneProcess(this, log, temp);
            cp.launch();
            return cp;
        }

        /** Starts the control plane and waits (60 s at most) until it reports ready. */
        public ControlPlaneProcess start() {
            ControlPlaneProcess cp = launch();
            try {
                cp.awaitReady();
                return cp;
            } catch (RuntimeException e) {
                cp.close();
                throw e;
            }
        }
    }
}
