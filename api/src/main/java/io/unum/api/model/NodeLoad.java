package io.unum.api.model;

/** Live load of a node as its agent last reported it. */
public record NodeLoad(double load1, double cpuPercent, long memoryFreeBytes, int processCount) {
    public static final NodeLoad UNKNOWN = new NodeLoad(0, 0, 0, 0);
}
