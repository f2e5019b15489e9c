package io.unum.api.model;

import java.time.Instant;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** A process that has a segment mapped: its gpid, the node it runs on and the host pid that mapped it. */
public record ShmAttachmentInfo(@Schema(required = true) int gpid, @Schema(required = true) String node,
        @Schema(required = true) int pid, Instant attachedAt) {
}
