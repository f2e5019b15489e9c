package io.unum.api.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Map;

/**
 * A node as the scheduler sees it when it decides ({@code GET /api/v1/scheduler/nodes}): the
 * probes' figures, with the placements made since the node's last heartbeat already counted in.
 *
 * @param cpuCapacity cores: the enforced capacity if the agent has one, else the cores it reported
 * @param loadPerCore runnable tasks per core of capacity
 * @param processCount Unum processes running there
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SchedulerNode(String name, NodeState state, Map<String, String> labels, double cpuCapacity,
        long memoryBytes, String enforcement, double load, double loadPerCore, long memoryFreeBytes,
        int processCount) {
}
