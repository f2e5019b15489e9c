package io.unum.controlplane.scheduler;

import io.unum.api.model.Capabilities;
import io.unum.api.model.CapabilityChange;
import io.unum.api.model.CapabilitySet;
import io.unum.api.model.NodeInfo;
import io.unum.api.model.NodeLoad;
import io.unum.api.model.NodeState;
import io.unum.api.model.ProcessInfo;
import io.unum.api.model.ProcessState;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** Small hand-made nodes and processes for the scheduler's unit tests. */
final class Fixtures {
    static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");
    static final long MIB = 1024 * 1024;

    private Fixtures() {
    }

    static Candidate node(String name, double cpuCapacity, double load, int processes) {
        return node(name, cpuCapacity, load, processes, 8192 * MIB, Map.of(), T0);
    }

    static Candidate node(String name, double cpuCapacity, double load, int processes, long memoryFree,
            Map<String, String> labels, Instant heartbeat) {
        NodeInfo info = new NodeInfo(name, "127.0.0.1:1", NodeState.READY, (int) Math.ceil(cpuCapacity), 16384 * MIB,
                new NodeLoad(load, 0, memoryFree, processes), T0, heartbeat);
        return new Candidate(info, labels, cpuCapacity, 16384 * MIB, "cgroup-v1", load, memoryFree, processes);
    }

    static ProcessInfo process(int gpid, String node, boolean canMigrate) {
        CapabilitySet effective = canMigrate ? CapabilitySet.NONE.apply(CapabilityChange.parse("+CAN_MIGRATE")) : CapabilitySet.NONE;
        CapabilitySet permitted = CapabilitySet.NONE.apply(CapabilityChange.parse("+CAN_MIGRATE"));
        return new ProcessInfo(gpid, null, node, 1000 + gpid, List.of("burn"), "/", "nobody", List.of(),
                ProcessState.RUNNING, null, null, null, new Capabilities(effective, permitted, CapabilitySet.NONE,
                        CapabilitySet.NONE), T0, T0, null, null, null);
    }
}
