package io.unum.api.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * A checkpoint: the record in etcd ({@code /unum/checkpoints/<id>}) and its REST representation.
 * The image itself stays on the agent of {@code node} and is copied to another node on demand.
 *
 * @param process the process record as it was when the checkpoint was taken (restart brings it back)
 * @param killed whether the checkpoint stopped the process
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record CheckpointInfo(
        @Schema(required = true) String id,
        @Schema(required = true) int gpid,
        @Schema(required = true) String node,
        @Schema(required = true) long imageBytes,
        @Schema(required = true) long dumpMillis,
        @Schema(required = true) boolean killed,
        Instant createdAt,
        ProcessInfo process) {
}
