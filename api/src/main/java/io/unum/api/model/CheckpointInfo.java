package io.unum.api.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * A checkpoint: the record in etcd ({@code /unum/checkpoints/<id>}) and its REST representation.
 * The image itself is on the agent of {@code node}, copied to another node on demand, and kept
 * in the cluster file system too ({@code treePath}) so that it outlives that node.
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
        ProcessInfo process,
        @Schema(description = "Where a copy of the image is kept in the cluster file system: a restart reads it on any "
                + "node when the node that took it is not READY. Absent when the image is on that node alone.")
        String treePath,
        @Schema(description = "How long forcing the image to the node's disk took (fsync), after the dump: the image "
                + "outlives a crash of the machine. Absent for images a migration left.")
        Long syncMillis) {

    public CheckpointInfo(String id, int gpid, String node, long imageBytes, long dumpMillis, boolean killed,
            Instant createdAt, ProcessInfo process) {
        this(id, gpid, node, imageBytes, dumpMillis, killed, createdAt, process, null, null);
    }

    public CheckpointInfo withTreePath(String path) {
        return new CheckpointInfo(id, gpid, node, imageBytes, dumpMillis, killed, createdAt, process, path, syncMillis);
    }

    public CheckpointInfo withSyncMillis(long millis) {
        return new CheckpointInfo(id, gpid, node, imageBytes, dumpMillis, killed, createdAt, process, treePath, millis);
    }
}
