package io.unum.controlplane.node;

import java.util.Map;

/** Per-process CPU and memory of one node, from its last heartbeat. Kept beside the node record. */
public record NodeUsage(Map<Integer, Usage> processes) {
    public record Usage(double cpuPercent, long rssBytes) {
    }
}
