package io.unum.api.model;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * One copy of a chunk: the node keeping it, and whether it counts towards the goal (HEALTHY: its
 * node is READY) or waits for its node (NODE_DOWN).
 */
public record FsReplicaInfo(@Schema(required = true) String node, @Schema(required = true) String state) {
}
