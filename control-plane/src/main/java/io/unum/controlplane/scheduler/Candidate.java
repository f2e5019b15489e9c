package io.unum.controlplane.scheduler;

import io.unum.api.model.NodeInfo;
import io.unum.api.model.NodeState;
import io.unum.api.model.SchedulerNode;
import java.util.Locale;
import java.util.Map;

/**
 * A node with the probes' figures: what every placement and balancing policy decides on.
 *
 * @param cpuCapacity cores its processes may use (the enforced capacity, else the cores reported)
 * @param load runnable tasks, counting placements and moves not yet seen in a heartbeat
 * @param processCount Unum processes running there, counted the same way
 */
public record Candidate(NodeInfo node, Map<String, String> labels, double cpuCapacity, long memoryBytes,
        String enforcement, double load, long memoryFreeBytes, int processCount) {

    public String name() {
        return node.name();
    }

    public boolean ready() {
        return node.state() == NodeState.READY;
    }

    public double loadPerCore() {
        return load / cpuCapacity;
    }

    /** The same node with more (or, negative, fewer) runnable tasks, processes and free memory. */
    Candidate adjusted(double tasks, int processes, long memory) {
        return new Candidate(node, labels, cpuCapacity, memoryBytes, enforcement, Math.max(0, load + tasks),
                Math.max(0, memoryFreeBytes + memory), Math.max(0, processCount + processes));
    }

    SchedulerNode toModel() {
        return new SchedulerNode(name(), node.state(), labels, cpuCapacity, memoryBytes, enforcement, load,
                loadPerCore(), memoryFreeBytes, processCount);
    }

    static String fmt(double value) {
        return String.format(Locale.ROOT, "%.2f", value);
    }
}
