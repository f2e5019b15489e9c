package io.unum.api.model;

import java.time.Instant;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * One node's storage as its agent last reported it: the capacity and free space of the file system
 * holding its blocks, and what the blocks take. reportedAt is null for a node that never reported.
 */
public record FsNodeUsageInfo(@Schema(required = true) String node, @Schema(required = true) NodeState nodeState,
        @Schema(required = true) long capacityBytes, @Schema(required = true) long freeBytes,
        @Schema(required = true) long usedBytes, @Schema(required = true) long blocks, Instant reportedAt) {
}
