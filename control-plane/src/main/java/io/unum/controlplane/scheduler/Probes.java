package io.unum.controlplane.scheduler;

import io.unum.api.model.NodeInfo;
import io.unum.api.model.NodeLoad;
import io.unum.api.model.NodeProfile;
import io.unum.controlplane.node.NodeStore;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The probes: each node's load (runnable tasks, from its heartbeat), free memory, process count,
 * capacity and labels. Heartbeats are seconds apart, so a burst of spawns would all land on the
 * node that looked idlest; every placement since a node's last heartbeat therefore counts as one
 * more runnable process on it until its next heartbeat brings real figures.
 */
@ApplicationScoped
public class Probes {
    private final NodeStore nodes;
    private final NodeProfiles profiles;
    private final Map<String, Pending> pending = new ConcurrentHashMap<>();

    private record Pending(Instant heartbeat, int count) {
    }

    public Probes(NodeStore nodes, NodeProfiles profiles) {
        this.nodes = nodes;
        this.profiles = profiles;
    }

    /** Every known node, READY or not, sorted by name. */
    public List<Candidate> all() {
        return nodes.list().stream().map(this::probe).toList();
    }

    Candidate probe(NodeInfo node) {
        NodeLoad load = node.load() == null ? NodeLoad.UNKNOWN : node.load();
        NodeProfile profile = profiles.find(node.name()).orElse(null);
        double cpu = profile != null && profile.cpuCapacity() > 0 ? profile.cpuCapacity() : Math.max(1, node.cores());
        long memory = profile != null && profile.memoryCapacityBytes() > 0 ? profile.memoryCapacityBytes() : node.memoryBytes();
        Pending p = pending.get(node.name());
        int placed = p != null && Objects.equals(p.heartbeat(), node.lastHeartbeatAt()) ? p.count() : 0;
        return new Candidate(node, profile == null ? Map.of() : profile.labels(), cpu, memory,
                profile == null ? "none" : profile.enforcement(), load.load1() + placed, load.memoryFreeBytes(),
                load.processCount() + placed);
    }

    /** Counts a placement on {@code node} until the node's next heartbeat. */
    void placed(NodeInfo node) {
        pending.merge(node.name(), new Pending(node.lastHeartbeatAt(), 1),
                (old, one) -> Objects.equals(old.heartbeat(), node.lastHeartbeatAt())
                        ? new Pending(old.heartbeat(), old.count() + 1) : one);
    }
}
