package io.unum.api.model;

import java.time.Instant;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * A file, directory or symlink of the cluster file system. mode is the permission bits in octal
 * ("0644"); replicas is the goal (a directory's is inherited by what is created below it). chunks
 * is filled only where one entry is asked for (stat); underReplicatedChunks counts chunks with
 * fewer healthy replicas than the goal, unavailableChunks those with none.
 */
public record FsEntryInfo(@Schema(required = true) String path, @Schema(required = true) String name,
        @Schema(required = true) long inode, @Schema(required = true) FsEntryType type,
        @Schema(required = true) String mode, @Schema(required = true) int uid, @Schema(required = true) int gid,
        @Schema(required = true) long sizeBytes, @Schema(required = true) int links,
        @Schema(required = true) Instant modifiedAt, @Schema(required = true) Instant changedAt,
        @Schema(required = true) int replicas, String symlinkTarget, List<FsChunkInfo> chunks,
        @Schema(required = true) int underReplicatedChunks, @Schema(required = true) int unavailableChunks) {
}
