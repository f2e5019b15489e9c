package io.unum.controlplane.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.unum.api.grpc.ExitStatus;
import io.unum.api.grpc.LocalProcess;
import io.unum.api.model.NodeInfo;
import io.unum.api.model.NodeLoad;
import io.unum.api.model.NodeState;
import io.unum.controlplane.etcd.EtcdTable.Alongside;
import io.unum.controlplane.etcd.EtcdTable.Versioned;
import io.unum.controlplane.leader.LeaderState;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class NodeFailureDetectorTest {
    private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");
    private static final Duration GRACE = Duration.ofSeconds(10);

    private Instant now = T0;
    private boolean leader = true;
    private long term = 1;
    private long revision = 100;
    /** The node records, as etcd would keep them: every write a new revision. */
    private final Map<String, Versioned<NodeInfo>> records = new TreeMap<>();
    private final List<String> lost = new ArrayList<>();

    private final NodeRecords nodes = new NodeRecords() {
        @Override
        public Map<String, Versioned<NodeInfo>> versionedNodes() {
            return Map.copyOf(records);
        }

        @Override
        public boolean markDown(String name, long seenRevision, Alongside alongside) {
            Versioned<NodeInfo> current = records.get(name);
            if (current == null || current.modRevision() != seenRevision) {
                return false;
            }
            write(current.value().withState(NodeState.DOWN));
            // Like the etcd transaction: the writes alongside are applied with the DOWN mark.
            alongside.applied().accept(current.modRevision() + 1);
            return true;
        }
    };

    private final NodeProcesses processes = new NodeProcesses() {
        @Override
        public void exited(String node, int gpid, ExitStatus status, String reason) {
        }

        @Override
        public Alongside lostWithNode(String node) {
            return new Alongside(List.of(), revision -> lost.add(node));
        }

        @Override
        public void nodeLost(String node) {
        }

        @Override
        public List<Integer> reconcile(String node, List<LocalProcess> reported) {
            return List.of();
        }
    };

    private final LeaderState leadership = new LeaderState() {
        @Override
        public boolean isLeader() {
            return leader;
        }

        @Override
        public long term() {
            return term;
        }
    };

    private final NodeConfig config = new NodeConfig() {
        @Override
        public Duration heartbeatInterval() {
            return Duration.ofSeconds(1);
        }

        @Override
        public Duration downGrace() {
            return GRACE;
        }

        @Override
        public Duration agentCallTimeout() {
            return Duration.ofSeconds(5);
        }
    };

    private final InstantSource clock = () -> now;
    private final NodeFailureDetector detector = new NodeFailureDetector(nodes, processes, leadership, config, clock);

    private void write(NodeInfo node) {
        records.put(node.name(), new Versioned<>(node, ++revision));
    }

    private void heartbeat(String name) {
        write(records.get(name).value().withLoad(NodeLoad.UNKNOWN, now));
    }

    private void register(String name) {
        write(new NodeInfo(name, name + ":7000", NodeState.READY, 2, 1L << 30, NodeLoad.UNKNOWN, now, now));
    }

    private NodeState state(String name) {
        return records.get(name).value().state();
    }

    private void tick(Duration later) {
        now = now.plus(later);
        detector.check();
    }

    @Test
    void aNodeSilentForLongerThanTheGraceTurnsDownAndItsProcessesLost() {
        register("node-1");
        register("node-2");
        detector.check();
        for (int s = 0; s < 12; s++) {
            heartbeat("node-2");
            tick(Duration.ofSeconds(1));
        }
        assertEquals(NodeState.DOWN, state("node-1"));
        assertEquals(NodeState.READY, state("node-2"), "a node that heartbeats stays READY");
        assertEquals(List.of("node-1"), lost);
    }

    @Test
    void aNodeIsNotDeclaredDownBeforeTheGraceIsOver() {
        register("node-1");
        detector.check();
        tick(GRACE.minusSeconds(1));
        assertEquals(NodeState.READY, state("node-1"));
        tick(Duration.ofSeconds(2));
        assertEquals(NodeState.DOWN, state("node-1"));
        tick(Duration.ofSeconds(30));
        assertEquals(List.of("node-1"), lost, "declared down once");
    }

    @Test
    void aFollowerDeclaresNothingAndANewLeaderGivesEveryNodeAFullGrace() {
        register("node-1");
        leader = false;
        detector.check();
        tick(GRACE.multipliedBy(3));
        assertEquals(NodeState.READY, state("node-1"), "only the leader declares nodes down");
        leader = true;
        term = 2;
        tick(Duration.ofSeconds(1));
        assertEquals(NodeState.READY, state("node-1"), "the new leader counts from when it first saw the record");
        tick(GRACE.plusSeconds(1));
        assertEquals(NodeState.DOWN, state("node-1"));
        assertEquals(List.of("node-1"), lost);
    }
}
