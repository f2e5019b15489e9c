package io.unum.controlplane.migration;

import io.grpc.Status;
import io.unum.api.grpc.DescribeProcessResponse;
import io.unum.api.grpc.RestoreProcessResponse;
import io.unum.api.model.CheckpointInfo;
import io.unum.api.model.MigrationInfo;
import io.unum.api.model.MigrationMode;
import io.unum.api.model.MigrationState;
import io.unum.api.model.NodeInfo;
import io.unum.api.model.NodeLoad;
import io.unum.api.model.NodeState;
import io.unum.api.model.ProcessInfo;
import io.unum.api.model.ProcessState;
import io.unum.controlplane.etcd.EtcdTable.Versioned;
import io.unum.controlplane.image.AgentImages;
import io.unum.controlplane.image.AgentImages.AgentCallException;
import io.unum.controlplane.node.NodeRecords;
import jakarta.enterprise.inject.Vetoed;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/** Hand-written fakes of the parts a migration is settled with: the etcd records, the nodes, the agents. */
final class FakeParts {
    static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");
    static final int GPID = 42;

    private FakeParts() {
    }

    static MigrationInfo migration(String id, MigrationState state, String driver) {
        return new MigrationInfo(id, GPID, "node-1", "node-2", MigrationMode.STOP_AND_COPY, state, null, 100L, 0L, null,
                null, 10L, null, null, null, null, T0, T0, driver);
    }

    static ProcessInfo running(String node, int pid) {
        return new ProcessInfo(GPID, null, node, pid, List.of("sleep", "1000"), null, null, null, ProcessState.RUNNING,
                null, null, null, null, T0, T0, null, null, null);
    }

    static AgentCallException failure(String node, Status.Code code) {
        return new AgentCallException(node, "call", Status.fromCode(code));
    }

    /** The records, as etcd would keep them; the lock is a flag. */
    static final class Ledger implements MigrationLedger {
        final Map<String, MigrationInfo> migrations = new HashMap<>();
        final Map<String, CheckpointInfo> checkpoints = new HashMap<>();
        ProcessInfo process;
        boolean locked = true;

        @Override
        public Optional<MigrationInfo> find(String id) {
            return Optional.ofNullable(migrations.get(id));
        }

        @Override
        public MigrationInfo update(String id, UnaryOperator<MigrationInfo> change) {
            MigrationInfo next = change.apply(migrations.get(id));
            migrations.put(id, next);
            return next;
        }

        @Override
        public boolean commit(String id, int localPid, Instant at) {
            if (process == null) {
                return false;
            }
            MigrationInfo m = migrations.get(id);
            migrations.put(id, m.to(MigrationState.RELEASING, at));
            process = process.runningOn(m.target(), localPid, at);
            return true;
        }

        @Override
        public MigrationInfo end(MigrationInfo end, BiFunction<ProcessInfo, Instant, ProcessInfo> next, CheckpointInfo kept) {
            migrations.put(end.id(), end);
            locked = false;
            if (next != null && process != null) {
                process = next.apply(process, end.updatedAt());
            }
            if (kept != null) {
                checkpoints.put(kept.id(), kept);
            }
            return end;
        }
    }

    static final class Nodes implements NodeRecords {
        final Map<String, Versioned<NodeInfo>> nodes = new HashMap<>();

        Nodes() {
            set("node-1", NodeState.READY);
            set("node-2", NodeState.READY);
        }

        void set(String name, NodeState state) {
            nodes.put(name, new Versioned<>(new NodeInfo(name, name + ":1", state, 2, 1L << 30, NodeLoad.UNKNOWN, T0, T0), 1));
        }

        @Override
        public Map<String, Versioned<NodeInfo>> versionedNodes() {
            return Map.copyOf(nodes);
        }

        @Override
        public boolean markDown(String name, long seenRevision, io.unum.controlplane.etcd.EtcdTable.Alongside alongside) {
            set(name, NodeState.DOWN);
            return true;
        }
    }

    /**
     * Agents answering from scripts: each call on a node takes the next scripted answer (a
     * response or an exception), or the default when the script ran out. Every call is logged.
     * Vetoed: the scope AgentImages declares is inherited, and the Quarkus tests must not see a second bean.
     */
    @Vetoed
    static final class Agents extends AgentImages {
        final List<String> calls = new ArrayList<>();
        private final Map<String, Deque<Supplier<Object>>> scripts = new HashMap<>();

        Agents() {
            super(null);
        }

        /** Scripts the next answers of call ("restore", "release", "describe", "discard", "dump") on node. */
        Agents on(String node, String call, Supplier<Object> answer) {
            scripts.computeIfAbsent(node + " " + call, k -> new ArrayDeque<>()).add(answer);
            return this;
        }

        private Object answer(NodeInfo node, String call, String detail, Object otherwise) {
            calls.add(call + " " + node.name() + detail);
            Deque<Supplier<Object>> script = scripts.get(node.name() + " " + call);
            Object a = script == null || script.isEmpty() ? otherwise : script.poll().get();
            if (a instanceof AgentCallException e) {
                throw e;
            }
            return a;
        }

        @Override
        public RestoreProcessResponse restore(NodeInfo node, int gpid, String imageId, String lazyPageServer, boolean hold) {
            return (RestoreProcessResponse) answer(node, "restore", hold ? " held" : "",
                    RestoreProcessResponse.newBuilder().setLocalPid(700).setHeld(hold).build());
        }

        @Override
        public void release(NodeInfo node, int gpid, String imageId) {
            answer(node, "release", "", "ok");
        }

        @Override
        public DescribeProcessResponse describe(NodeInfo node, int gpid) {
            return (DescribeProcessResponse) answer(node, "describe", "", DescribeProcessResponse.getDefaultInstance());
        }

        @Override
        public void discard(NodeInfo node, int gpid) {
            answer(node, "discard", "", "ok");
        }

        @Override
        public void deleteQuietly(NodeInfo node, String imageId) {
            calls.add("delete " + node.name());
        }
    }
}
