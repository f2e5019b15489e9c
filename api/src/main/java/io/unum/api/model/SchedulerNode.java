package io.unum.api.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * A node as the scheduler sees it when it decides ({@code GET /api/v1/scheduler/nodes}): the
 * probes' figures, with the placements made since the node's last heartbeat already counted in.
 *
 * @param cpuCapacity cores: the enforced capacity if the agent has one, else the cores it reported
 * @param loadPerCore runnable tasks per core of capacity
 * @param processCount Unum processes running there
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SchedulerNode(
        @Schema(required = true) String name,
        @Schema(required = true) NodeState state,
        Map<String, String> labels,
        @Schema(required = true) double cpuCapacity,
        @Schema(required = true) long memoryBytes,
        String enforcement,
        @Schema(required = true) double load,
        @Schema(required = true) double loadPerCore,
        @Schema(required = true) long memoryFreeBytes,
        @Schema(required = true) int processCount) {
}
