package io.unum.controlplane.scheduler;

import io.unum.api.model.NodeInfo;
import io.unum.api.model.NodeLoad;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Least load per core. Heartbeats are seconds apart, so a burst of spawns would all land on
 * the node that looked idlest; every placement since a node's last heartbeat therefore counts
 * as one more runnable process on it until its next heartbeat brings real figures.
 */
@ApplicationScoped
public class LeastLoadedPlacement implements PlacementPolicy {
    private final Map<String, Placed> placedSinceHeartbeat = new ConcurrentHashMap<>();

    private record Placed(java.time.Instant heartbeat, int count) {
    }

    @Override
    public synchronized Optional<NodeInfo> place(List<NodeInfo> readyNodes) {
        Optional<NodeInfo> best = readyNodes.stream().min(Comparator
                .comparingDouble(this::score)
                .thenComparing(NodeInfo::name));
        best.ifPresent(n -> placedSinceHeartbeat.merge(n.name(), new Placed(n.lastHeartbeatAt(), 1),
                (old, one) -> java.util.Objects.equals(old.heartbeat(), n.lastHeartbeatAt())
                        ? new Placed(old.heartbeat(), old.count() + 1) : one));
        return best;
    }

    private double score(NodeInfo node) {
        NodeLoad load = node.load() == null ? NodeLoad.UNKNOWN : node.load();
        Placed placed = placedSinceHeartbeat.get(node.name());
        int pending = placed != null && java.util.Objects.equals(placed.heartbeat(), node.lastHeartbeatAt())
                ? placed.count() : 0;
        double cores = Math.max(1, node.cores());
        return (load.load1() + load.processCount() * 0.01 + pending) / cores;
    }
}
