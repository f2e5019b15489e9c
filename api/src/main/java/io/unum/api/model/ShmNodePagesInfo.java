package io.unum.api.model;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * What one node holds of a segment, counted by its agent: pages it may read (resident) or write,
 * faults its processes took, pages whose bytes arrived from or left for another node, and the
 * times it gave a page up. error says why a node could not be asked.
 */
public record ShmNodePagesInfo(@Schema(required = true) String node, @Schema(required = true) long residentPages,
        @Schema(required = true) long writablePages, @Schema(required = true) long readFaults,
        @Schema(required = true) long writeFaults, @Schema(required = true) long pagesReceived,
        @Schema(required = true) long pagesSent, @Schema(required = true) long invalidations, String error) {
}
