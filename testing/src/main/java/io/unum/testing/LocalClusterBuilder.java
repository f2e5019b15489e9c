package io.unum.testing;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Options of a local cluster; every one has a default. */
public final class LocalClusterBuilder {
    int controlPlanes = 1;
    int agents = 3;
    Duration downGrace = Duration.ofSeconds(10);
    Duration readyTimeout = LocalCluster.DEFAULT_READY_TIMEOUT;
    Path dir;
    boolean detached;
    boolean preferredPorts;
    String adminToken;
    String viewerToken;
    String joinToken;
    final Map<String, String> controlPlaneProperties = new LinkedHashMap<>();
    boolean restOverHttps;
    final List<String> controlPlaneJvmArgs = new ArrayList<>();
    final List<String> agentArgs = new ArrayList<>();
    final List<String> agentJvmArgs = new ArrayList<>();
    final Map<String, List<String>> nodeArgs = new LinkedHashMap<>();
    SpawnListener listener = SpawnListener.NONE;

    LocalClusterBuilder() {
    }

    /** How many control planes share the etcd; default 1. */
    public LocalClusterBuilder controlPlanes(int count) {
        if (count < 1) {
            throw new IllegalArgumentException("at least one control plane");
        }
        this.controlPlanes = count;
        return this;
    }

    /** How many agents, {@code node-1..node-N}; default 3 (0 is allowed). */
    public LocalClusterBuilder agents(int count) {
        if (count < 0) {
            throw new IllegalArgumentException("agents must be >= 0");
        }
        this.agents = count;
        return this;
    }

    /** {@code unum.node.down-grace} of the control planes; default 10 s. */
    public LocalClusterBuilder downGrace(Duration grace) {
        this.downGrace = grace;
        return this;
    }

    /** How long {@link LocalCluster#start()} waits for the nodes to be READY; default 60 s. */
    public LocalClusterBuilder readyTimeout(Duration timeout) {
        this.readyTimeout = timeout;
        return this;
    }

    /** The cluster directory, kept on close; see {@link LocalCluster} for the default. */
    public LocalClusterBuilder dir(Path dir) {
        this.dir = dir;
        return this;
    }

    /** One more system property for every control plane. */
    public LocalClusterBuilder controlPlaneProperty(String key, String value) {
        controlPlaneProperties.put(key, value);
        return this;
    }

    /** More system properties for every control plane. */
    public LocalClusterBuilder controlPlaneProperties(Map<String, String> properties) {
        controlPlaneProperties.putAll(properties);
        return this;
    }

    /** Extra JVM options for every control plane. */
    public LocalClusterBuilder controlPlaneJvmArgs(List<String> args) {
        controlPlaneJvmArgs.addAll(args);
        return this;
    }

    /** Extra options for every agent, e.g. {@code List.of("--cores", "2")}. */
    public LocalClusterBuilder agentArgs(List<String> args) {
        agentArgs.addAll(args);
        return this;
    }

    /**
     * A capacity every agent enforces on its processes with a cgroup ({@code --cpu-capacity},
     * {@code --memory-capacity}), so that agents sharing this machine behave like machines of
     * that size. Needs root. {@code memoryBytes} 0 leaves memory unlimited.
     */
    public LocalClusterBuilder agentCapacity(double cpus, long memoryBytes) {
        agentArgs.addAll(List.of("--cpu-capacity", Double.toString(cpus)));
        if (memoryBytes > 0) {
            agentArgs.addAll(List.of("--memory-capacity", Long.toString(memoryBytes)));
        }
        return this;
    }

    /** Labels of one node ({@code node-1} ...), given to its agent as {@code --label KEY=VALUE}. */
    public LocalClusterBuilder nodeLabels(String node, Map<String, String> labels) {
        List<String> args = nodeArgs.computeIfAbsent(node, n -> new ArrayList<>());
        labels.forEach((k, v) -> args.addAll(List.of("--label", k + "=" + v)));
        return this;
    }

    /** Extra JVM options for every agent. */
    public LocalClusterBuilder agentJvmArgs(List<String> args) {
        agentJvmArgs.addAll(args);
        return this;
    }

    /**
     * Control planes also serve REST over HTTPS ({@link ControlPlaneProcess#httpsUrl()}), with the
     * cluster CA's control-plane certificate; default off (plain HTTP on loopback).
     */
    public LocalClusterBuilder restOverHttps(boolean on) {
        this.restOverHttps = on;
        return this;
    }

    /** Fixed tokens instead of random ones (null = random). */
    public LocalClusterBuilder tokens(String admin, String viewer, String join) {
        this.adminToken = admin;
        this.viewerToken = viewer;
        this.joinToken = join;
        return this;
    }

    /**
     * Start every process in its own session ({@code setsid}) and register no shutdown hook,
     * so the cluster outlives this JVM; {@code bin/unum-dev up} uses it. Default false.
     */
    public LocalClusterBuilder detached(boolean detached) {
        this.detached = detached;
        return this;
    }

    /**
     * Use the well-known ports where they are free (etcd 2379/2380, HTTP 8080+i, gRPC 9090+i,
     * agents 7001+i), else free ones; default false = free ports only.
     */
    public LocalClusterBuilder preferredPorts(boolean preferred) {
        this.preferredPorts = preferred;
        return this;
    }

    /** Told about every OS process the cluster starts, as soon as it is started. */
    public LocalClusterBuilder listener(SpawnListener listener) {
        this.listener = listener;
        return this;
    }

    /** The cluster, not started yet: call {@link LocalCluster#start()}. */
    public LocalCluster build() {
        return new LocalCluster(this);
    }
}
