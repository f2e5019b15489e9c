package io.unum.api.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Map;

/**
 * What a node agent tells the scheduler about itself besides its registration: its labels, and
 * the capacity it enforces on its processes with cgroups (so several agents can share one machine
 * and still behave like machines of that size). Stored at {@code /unum/scheduler/nodes/<name>}.
 *
 * @param cpuCapacity cores the node's processes may use together (0.5 = half a core); 0 = unlimited
 * @param memoryCapacityBytes memory they may use together; 0 = unlimited
 * @param enforcement how the capacity is enforced: "cgroup-v1", "cgroup-v2" or "none"
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record NodeProfile(String node, Map<String, String> labels, double cpuCapacity, long memoryCapacityBytes,
        String enforcement) {

    public NodeProfile {
        labels = labels == null ? Map.of() : Map.copyOf(labels);
    }
}
