package io.unum.api.model;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** Live load of a node as its agent last reported it. */
public record NodeLoad(
        @Schema(required = true) double load1,
        @Schema(required = true) double cpuPercent,
        @Schema(required = true) long memoryFreeBytes,
        @Schema(required = true) int processCount) {
    public static final NodeLoad UNKNOWN = new NodeLoad(0, 0, 0, 0);
}
