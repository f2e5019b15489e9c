package io.unum.api.model;

import java.time.Instant;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * The leader's view of redundancy at its last scan: chunks below their goal, chunks with no replica
 * on a READY node (unreadable until one comes back), copies made since it became leader and copies
 * in flight.
 */
public record FsRepairInfo(@Schema(required = true) long chunks, @Schema(required = true) long underReplicatedChunks,
        @Schema(required = true) long unavailableChunks, @Schema(required = true) long replicasRepaired,
        @Schema(required = true) long repairsInFlight, Instant lastScanAt, @Schema(required = true) int defaultReplicas,
        @Schema(required = true) long chunkSizeBytes) {
}
