package io.unum.testing;

import io.unum.api.model.NodeInfo;
import io.unum.client.UnumClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A real Unum cluster on this machine: one etcd, N control planes on it and M node agents
 * ({@code node-1..node-M}) connected to all of them, every one an OS process.
 *
 * <pre>{@code
 * try (LocalCluster cluster = LocalCluster.builder().controlPlanes(2).agents(3)
 *         .downGrace(Duration.ofSeconds(3)).build().start()) {
 *     List<NodeInfo> nodes = cluster.api().nodes();
 *     cluster.controlPlane(0).kill();      // fail over
 *     cluster.agent("node-2").kill();
 *     cluster.awaitNodeState("node-2", "DOWN", Duration.ofSeconds(20));
 * }
 * }</pre>
 *
 * Indexes are 0-based ({@code agent(0)} is {@code node-1}). {@link #start()} returns once every
 * agent is listed READY by {@code GET /api/v1/nodes}. {@link #close()} stops everything that was
 * started, also after a failed start, and a JVM shutdown hook does the same if a test forgets to
 * (except for a {@linkplain LocalClusterBuilder#detached(boolean) detached} cluster, which is meant to outlive
 * its launcher).
 *
 * <p>Layout of the directory: {@code etcd/} (data), {@code agents/<node>/} (state dirs),
 * {@code logs/} ({@code etcd.log}, {@code control-plane-<i>.log}, {@code <node>.log}). Without
 * {@link LocalClusterBuilder#dir(Path)}, the directory is {@code target/unum-clusters/<id>} when the current
 * directory has a {@code target/} (close() then keeps only the logs), else a temporary one that
 * close() deletes.
 */
public final class LocalCluster implements AutoCloseable {
    static final Duration DEFAULT_READY_TIMEOUT = Duration.ofSeconds(60);
    /** Ports {@code up} prefers: etcd client and peer, control-plane HTTP and gRPC (+i), agents (+i). */
    public static final int ETCD_CLIENT_PORT = 2379;
    public static final int ETCD_PEER_PORT = 2380;
    public static final int HTTP_PORT = 8080;
    public static final int GRPC_PORT = 9090;
    /** Preferred agent ports of the control planes: above the gRPC ones, which count up from 9090. */
    public static final int AGENT_API_PORT = 9190;
    public static final int AGENT_PORT = 7001;

    private final LocalClusterBuilder config;
    private final String adminToken;
    private final String viewerToken;
    private final String joinToken;
    private final Path dir;
    private final ClusterPki pki;
    private final Cleanup cleanup;
    private volatile EtcdServer etcd;
    private final List<ControlPlaneProcess> controlPlanes = new CopyOnWriteArrayList<>();
    private final List<AgentProcess> agents = new CopyOnWriteArrayList<>();
    private final AtomicBoolean started = new AtomicBoolean();
    private final Object closeLock = new Object();
    private volatile Thread shutdownHook;
    private volatile boolean closed;

    private enum Cleanup { KEEP, KEEP_LOGS, DELETE }

    LocalCluster(LocalClusterBuilder config) {
        this.config = config;
        this.adminToken = config.adminToken != null ? config.adminToken : Tokens.random();
        this.viewerToken = config.viewerToken != null ? config.viewerToken : Tokens.random();
        this.joinToken = config.joinToken != null ? config.joinToken : Tokens.random();
        try {
            if (config.dir != null) {
                dir = config.dir.toAbsolutePath().normalize();
                cleanup = Cleanup.KEEP;
            } else if (Files.isDirectory(Path.of("target"))) {
                String id = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + "-" + Tokens.random().substring(0, 6);
                dir = Path.of("target", "unum-clusters", id).toAbsolutePath();
                cleanup = Cleanup.KEEP_LOGS;
            } else {
                dir = Files.createTempDirectory("unum-cluster-");
                cleanup = Cleanup.DELETE;
            }
            // Tokens, keys and logs live here: the owner's alone (0700).
            PrivateFiles.directory(dir);
            Files.createDirectories(logDir());
            pki = ClusterPki.createIn(dir.resolve("pki"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the cluster directory", e);
        }
    }

    public static LocalClusterBuilder builder() {
        return new LocalClusterBuilder();
    }

    /**
     * Starts etcd, the control planes and the agents, and waits until every agent is READY.
     * On failure everything already started is stopped and the exception names the log to read.
     */
    public LocalCluster start() {
        if (closed || !started.compareAndSet(false, true)) {
            throw new IllegalStateException("a LocalCluster starts once");
        }
        // Also for a detached cluster while it starts: Ctrl-C during start-up leaves nothing behind.
        shutdownHook = new Thread(this::close, "unum-local-cluster-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        try {
            RepoLayout repo = RepoLayout.locate();
            Path cpJar = repo.controlPlaneJar();
            Path agentJar = repo.agentJar();
            etcd = EtcdServer.builder()
                    .tls(pki)
                    .dataDir(dir.resolve("etcd"))
                    .logFile(logDir().resolve("etcd.log"))
                    .clientPort(config.preferredPorts ? Ports.preferredOrFree(ETCD_CLIENT_PORT) : 0)
                    .peerPort(config.preferredPorts ? Ports.preferredOrFree(ETCD_PEER_PORT) : 0)
                    .detached(config.detached)
                    .listener(config.listener)
                    .start();
            checkOpen();
            for (int i = 0; i < config.controlPlanes; i++) {
                String name = "control-plane-" + (i + 1);
                controlPlanes.add(ControlPlaneProcess.builder()
                        .name(name)
                        .jar(cpJar)
                        .logFile(logDir().resolve(name + ".log"))
                        .etcdEndpoints(etcd.endpoint())
                        .tls(pki)
                        .https(config.restOverHttps)
                        .adminTokens(adminToken)
                        .viewerTokens(viewerToken)
                        .joinToken(joinToken)
                        .downGrace(config.downGrace)
                        .httpPort(config.preferredPorts ? Ports.preferredOrFree(HTTP_PORT + i) : 0)
                        .grpcPort(config.preferredPorts ? Ports.preferredOrFree(GRPC_PORT + i) : 0)
                        .agentPort(config.preferredPorts ? Ports.preferredOrFree(AGENT_API_PORT + i) : 0)
                        .properties(config.controlPlaneProperties)
                        .jvmArgs(config.controlPlaneJvmArgs)
                        .detached(config.detached)
                        .listener(config.listener)
                        .launch());
            }
            for (ControlPlaneProcess cp : controlPlanes) {
                checkOpen();
                cp.awaitReady();
            }
            for (int i = 0; i < config.agents; i++) {
                checkOpen();
                agents.add(agentBuilder("node-" + (i + 1), agentJar,
                        config.preferredPorts ? Ports.preferredOrFree(AGENT_PORT + i) : 0).launch());
            }
            awaitReadyNodes(agentNames(), config.readyTimeout);
            if (config.detached) {
                removeShutdownHook();
            }
            return this;
        } catch (RuntimeException | Error e) {
            try {
                close();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    private AgentProcess.Builder agentBuilder(String name, Path jar, int port) {
        return agentBuilder(name, jar, port, caFileTrust());
    }

    /** The cluster CA's file, which the control plane's certificate is checked against when an agent joins. */
    private List<String> caFileTrust() {
        return List.of("--ca-file", pki.caCert().toString());
    }

    /** {@code trust}: how the agent checks the control plane when it joins (--ca-file or --ca-cert-hash). */
    private AgentProcess.Builder agentBuilder(String name, Path jar, int port, List<String> trust) {
        return AgentProcess.builder()
                .name(name)
                .jar(jar)
                .port(port)
                .stateDir(dir.resolve("agents").resolve(name))
                .logFile(logDir().resolve(name + ".log"))
                .controlPlanes(agentAddresses())
                .joinToken(joinToken)
                .extraArgs(trust)
                .extraArgs(agentArgs())
                .extraArgs(config.nodeArgs.getOrDefault(name, List.of()))
                .jvmArgs(config.agentJvmArgs)
                .detached(config.detached)
                .listener(config.listener);
    }

    private List<String> agentArgs() {
        List<String> args = new ArrayList<>(config.agentArgs);
        if (!args.contains("--criu")) {
            RepoLayout.locate().criu().ifPresent(criu -> args.addAll(List.of("--criu", criu.toString())));
        }
        return args;
    }

    /** Starts one more agent, {@code node-<count+1>}, and waits until it is READY. */
    public synchronized AgentProcess addAgent() {
        checkOpen();
        String name = "node-" + (agents.size() + 1);
        AgentProcess agent = agentBuilder(name, RepoLayout.locate().agentJar(), 0).launch();
        agents.add(agent);
        awaitReadyNodes(Set.of(name), config.readyTimeout);
        return agent;
    }

    /**
     * Launches one more agent, {@code node-<count+1>}, joining with {@code joinToken} instead of the
     * bootstrap one, and returns at once: the caller waits for READY, or for it to be refused.
     */
    public synchronized AgentProcess launchAgent(String joinToken) {
        return launchAgent(joinToken, caFileTrust());
    }

    /**
     * {@link #launchAgent(String)} with {@code trust} instead of {@code --ca-file}: the options the
     * agent checks the control plane's certificate by when it joins, e.g. {@code --ca-cert-hash sha256:…},
     * or none at all.
     */
    public synchronized AgentProcess launchAgent(String joinToken, List<String> trust) {
        checkOpen();
        String name = "node-" + (agents.size() + 1);
        AgentProcess agent = agentBuilder(name, RepoLayout.locate().agentJar(), 0, trust).joinToken(joinToken).launch();
        agents.add(agent);
        return agent;
    }

    public String adminToken() {
        return adminToken;
    }

    public String viewerToken() {
        return viewerToken;
    }

    public String joinToken() {
        return joinToken;
    }

    public EtcdServer etcd() {
        return etcd;
    }

    /**
     * An etcd outage: SIGKILLs etcd, waits {@code down}, then starts it again on the same data dir
     * and ports (for fault-injection tests). Returns once it is healthy again.
     */
    public synchronized void restartEtcd(Duration down) {
        checkOpen();
        EtcdServer old = etcd;
        OsProcesses.kill(old.processHandle());
        OsProcesses.sleep(down);
        etcd = EtcdServer.builder().tls(pki).dataDir(old.dataDir()).logFile(old.logFile())
                .clientPort(old.clientPort()).peerPort(old.peerPort())
                .detached(config.detached).listener(config.listener).start();
    }

    /** The i-th control plane, 0-based. */
    public ControlPlaneProcess controlPlane(int index) {
        return controlPlanes.get(index);
    }

    public List<ControlPlaneProcess> controlPlanes() {
        return List.copyOf(controlPlanes);
    }

    /** The i-th agent, 0-based: {@code agent(0)} is {@code node-1}. */
    public AgentProcess agent(int index) {
        return agents.get(index);
    }

    /** The agent named {@code name} ({@code node-1}, ...). */
    public AgentProcess agent(String name) {
        return agents.stream().filter(a -> a.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no agent " + name + " in " + agentNames()));
    }

    public List<AgentProcess> agents() {
        return List.copyOf(agents);
    }

    /** The HTTP URL of the first control plane, e.g. {@code http://127.0.0.1:8080}. */
    public String apiUrl() {
        return controlPlanes.get(0).httpUrl();
    }

    /** A client of the first control plane with the admin token. */
    public UnumClient api() {
        return new UnumClient(apiUrl(), adminToken);
    }

    /** A client of the first control plane that is alive, with the admin token (for failover tests). */
    public UnumClient liveApi() {
        return controlPlanes.stream().filter(ControlPlaneProcess::isAlive).findFirst()
                .map(cp -> new UnumClient(cp.httpUrl(), adminToken))
                .orElseThrow(() -> new IllegalStateException("no control plane is running"));
    }

    /** The control planes' gRPC addresses, the agents' {@code --control-plane}. */
    /** The control planes' agent ports, what agents' {@code --control-plane} names. */
    public List<String> agentAddresses() {
        return controlPlanes.stream().map(ControlPlaneProcess::agentAddress).toList();
    }

    public List<String> grpcAddresses() {
        return controlPlanes.stream().map(ControlPlaneProcess::grpcAddress).toList();
    }

    /** The cluster directory (etcd data, agent state dirs, logs). */
    public Path dir() {
        return dir;
    }

    /** The cluster CA and the certificates of etcd and the control planes ({@code <dir>/pki}). */
    public ClusterPki pki() {
        return pki;
    }

    public Path logDir() {
        return dir.resolve("logs");
    }

    /** {@code GET /api/v1/nodes}: node name to state ({@code READY}, {@code DOWN}), from a live control plane. */
    public Map<String, String> nodeStates() {
        Map<String, String> states = new TreeMap<>();
        for (NodeInfo n : liveApi().nodes()) {
            states.put(n.name(), n.state().name());
        }
        return states;
    }

    /** Waits until the named node has {@code state} (e.g. {@code DOWN} after {@link AgentProcess#kill()}). */
    public void awaitNodeState(String name, String state, Duration timeout) {
        awaitNodes(Set.of(name), state, timeout);
    }

    /** Waits until every named node is listed READY; fails early if a control plane or agent process died. */
    public void awaitReadyNodes(Collection<String> names, Duration timeout) {
        awaitNodes(names, "READY", timeout);
    }

    private void awaitNodes(Collection<String> names, String state, Duration timeout) {
        Set<String> wanted = new LinkedHashSet<>(names);
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "no answer";
        while (true) {
            checkOpen();
            if (controlPlanes.stream().noneMatch(ControlPlaneProcess::isAlive)) {
                ControlPlaneProcess cp = controlPlanes.get(0);
                throw new IllegalStateException("every control plane died; last lines of " + cp.logFile() + ":"
                        + System.lineSeparator() + OsProcesses.tail(cp.logFile(), 50));
            }
            if ("READY".equals(state)) {
                agents.stream().filter(a -> wanted.contains(a.name())).forEach(AgentProcess::checkAlive);
            }
            try {
                Map<String, String> states = nodeStates();
                if (wanted.stream().allMatch(n -> state.equals(states.get(n)))) {
                    return;
                }
                last = states.toString();
            } catch (RuntimeException e) {
                last = e.getMessage();
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("nodes " + wanted + " not all " + state + " within " + timeout.toSeconds()
                        + " s; last GET /api/v1/nodes: " + last + "; logs in " + logDir());
            }
            OsProcesses.sleep(Duration.ofMillis(250));
        }
    }

    /**
     * Stops the agents, kills every process they supervised (their state dirs list them), then the
     * control planes, then etcd. Safe to call more than once, from another thread while
     * {@link #start()} runs (start then fails), and after a failed start.
     */
    @Override
    public void close() {
        closed = true;
        synchronized (closeLock) {
            removeShutdownHook();
            stopEverything();
        }
    }

    private void stopEverything() {
        OsProcesses.stopAll(agents.stream().map(a -> a.isAlive() ? a.processHandle() : null).toList(), Duration.ofSeconds(10));
        for (AgentProcess a : agents) {
            SupervisedProcesses.killAll(a.stateDir());
        }
        SupervisedProcesses.killStrays(dir);
        for (AgentProcess a : agents) {
            SupervisedProcesses.removeCgroups(a.stateDir());
        }
        OsProcesses.stopAll(controlPlanes.stream().map(cp -> cp.isAlive() ? cp.processHandle() : null).toList(), Duration.ofSeconds(10));
        EtcdServer e = etcd;
        if (e != null) {
            e.close();
        }
        switch (cleanup) {
            case KEEP -> { }
            case KEEP_LOGS -> {
                OsProcesses.deleteRecursively(dir.resolve("etcd"));
                OsProcesses.deleteRecursively(dir.resolve("agents"));
            }
            case DELETE -> OsProcesses.deleteRecursively(dir);
        }
    }

    private void removeShutdownHook() {
        Thread hook = shutdownHook;
        if (hook != null && Thread.currentThread() != hook) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException alreadyShuttingDown) {
                // the hook runs or ran
            }
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the local cluster was closed");
        }
    }

    private Set<String> agentNames() {
        Set<String> names = new LinkedHashSet<>();
        agents.forEach(a -> names.add(a.name()));
        return names;
    }

    @Override
    public String toString() {
        return "LocalCluster[" + etcd + ", " + controlPlanes + ", " + agents + ", dir " + dir + "]";
    }
}
