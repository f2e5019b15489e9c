package io.unum.controlplane.fs;

import java.util.List;

/** {@code /unum/fs/chunks/<ino>/<index, 12 digits>}: the block holding a chunk and the nodes keeping it. */
record StoredChunk(String blockId, long length, long crc32c, List<String> replicas) {
    StoredChunk {
        replicas = replicas == null ? List.of() : List.copyOf(replicas);
    }

    StoredChunk withReplicas(List<String> nodes) {
        return new StoredChunk(blockId, length, crc32c, nodes);
    }
}
