package io.unum.api.model;

import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** A chunk of a file: its index, the block holding it, the block's CRC-32C, and its replicas. */
public record FsChunkInfo(@Schema(required = true) long index, @Schema(required = true) String blockId,
        @Schema(required = true) long lengthBytes, @Schema(required = true, description = "CRC-32C, hex") String crc32c,
        @Schema(required = true) List<FsReplicaInfo> replicas) {
}
