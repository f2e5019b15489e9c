package io.unum.controlplane.node;

import io.quarkus.runtime.Startup;
import io.quarkus.scheduler.Scheduled;
import io.unum.api.model.NodeInfo;
import io.unum.api.model.NodeState;
import io.unum.controlplane.etcd.EtcdTable.Versioned;
import io.unum.controlplane.leader.LeaderState;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.InstantSource;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * On the leader: declares a node DOWN when its record has not changed (no heartbeat) for
 * the grace period, and turns its processes LOST. Time is measured on this replica's own
 * clock from the moment it saw the record change, so clock skew between replicas does not
 * matter; a replica that just became leader gives every node a full grace period.
 */
@Startup
@ApplicationScoped
public class NodeFailureDetector {
    private static final Logger LOG = Logger.getLogger(NodeFailureDetector.class);

    private record Seen(long revision, Instant at) {
    }

    private final NodeRecords nodes;
    private final NodeProcesses lifecycle;
    private final LeaderState leadership;
    private final NodeConfig config;
    private final InstantSource clock;
    private final Map<String, Seen> lastSeen = new ConcurrentHashMap<>();
    private long term = -1;

    public NodeFailureDetector(NodeRecords nodes, NodeProcesses lifecycle, LeaderState leadership, NodeConfig config, InstantSource clock) {
        this.clock = clock;
        this.nodes = nodes;
        this.lifecycle = lifecycle;
        this.leadership = leadership;
        this.config = config;
    }

    @Scheduled(every = "1s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void check() {
        try {
            if (!leadership.isLeader()) {
                term = -1;
                return;
            }
            Instant now = clock.instant();
            if (term != leadership.term()) {
                term = leadership.term();
                lastSeen.clear();
            }
            for (Map.Entry<String, Versioned<NodeInfo>> e : nodes.versionedNodes().entrySet()) {
                Versioned<NodeInfo> node = e.getValue();
                Seen seen = lastSeen.compute(e.getKey(), (name, old) ->
                        old == null || old.revision() != node.modRevision() ? new Seen(node.modRevision(), now) : old);
                if (node.value().state() == NodeState.READY
                        && seen.at().plus(config.downGrace()).isBefore(now)
                        && leadership.isLeader()) {
                    declareDown(node);
                }
            }
        } catch (Throwable t) {
            LOG.warnf("node failure check failed: %s", t.getMessage());
        }
    }

    private void declareDown(Versioned<NodeInfo> node) {
        String name = node.value().name();
        if (nodes.markDown(name, node.modRevision(), lifecycle.lostWithNode(name))) {
            LOG.warnf("node %s declared DOWN: no heartbeat for %s", name, config.downGrace());
            lifecycle.nodeLost(name);
        }
    }
}
