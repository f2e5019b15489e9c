package io.unum.controlplane.fs;

import io.unum.api.grpc.FsChunk;
import io.unum.api.grpc.FsEntry;
import io.unum.api.grpc.FsReplica;
import io.unum.api.grpc.FsReplicaState;
import io.unum.api.model.FsChunkInfo;
import io.unum.api.model.FsEntryInfo;
import io.unum.api.model.FsReplicaInfo;
import io.unum.api.model.NodeInfo;
import io.unum.api.model.NodeState;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** The protobuf and REST shapes of an entry, with each replica's node address and health from the node table. */
final class FsViews {
    private FsViews() {
    }

    static boolean healthy(String node, Map<String, NodeInfo> nodes) {
        NodeInfo n = nodes.get(node);
        return n != null && n.state() == NodeState.READY;
    }

    static long healthyReplicas(StoredChunk c, Map<String, NodeInfo> nodes) {
        return c.replicas().stream().filter(r -> healthy(r, nodes)).count();
    }

    static FsEntry.Builder proto(FsTree.Entry e) {
        StoredInode i = e.inode();
        FsEntry.Builder b = FsEntry.newBuilder().setPath(e.path().toString()).setInode(i.ino()).setType(type(i))
                .setMode(i.mode()).setUid(i.uid()).setGid(i.gid()).setSizeBytes(i.size()).setLinks(i.links())
                .setAtimeNs(i.atimeNs()).setMtimeNs(i.mtimeNs()).setCtimeNs(i.ctimeNs()).setReplicas(i.replicas());
        if (i.symlinkTarget() != null) {
            b.setSymlinkTarget(i.symlinkTarget());
        }
        return b;
    }

    /** With the chunk map and its health. */
    static FsEntry proto(FsTree.Entry e, Map<Long, StoredChunk> chunks, Map<String, NodeInfo> nodes) {
        FsEntry.Builder b = proto(e);
        int under = 0;
        int unavailable = 0;
        for (Map.Entry<Long, StoredChunk> c : chunks.entrySet()) {
            FsChunk.Builder chunk = FsChunk.newBuilder().setIndex(c.getKey()).setBlockId(c.getValue().blockId())
                    .setLength(c.getValue().length()).setCrc32C((int) c.getValue().crc32c());
            for (String node : c.getValue().replicas()) {
                NodeInfo n = nodes.get(node);
                chunk.addReplicas(FsReplica.newBuilder().setNode(node).setAddress(n == null ? "" : n.address())
                        .setState(healthy(node, nodes) ? FsReplicaState.FS_REPLICA_STATE_HEALTHY
                                : FsReplicaState.FS_REPLICA_STATE_NODE_DOWN));
            }
            b.addChunks(chunk);
            long healthy = healthyReplicas(c.getValue(), nodes);
            under += healthy < e.inode().replicas() ? 1 : 0;
            unavailable += healthy == 0 ? 1 : 0;
        }
        return b.setUnderReplicatedChunks(under).setUnavailableChunks(unavailable).build();
    }

    static FsEntryInfo info(FsTree.Entry e, Map<Long, StoredChunk> chunks, Map<String, NodeInfo> nodes) {
        StoredInode i = e.inode();
        List<FsChunkInfo> chunkInfos = chunks == null ? null : chunks.entrySet().stream().map(c -> new FsChunkInfo(c.getKey(),
                c.getValue().blockId(), c.getValue().length(), String.format("%08x", c.getValue().crc32c()),
                c.getValue().replicas().stream().map(n -> new FsReplicaInfo(n, healthy(n, nodes) ? "HEALTHY" : "NODE_DOWN"))
                        .toList())).toList();
        int under = 0;
        int unavailable = 0;
        if (chunks != null) {
            for (StoredChunk c : chunks.values()) {
                long healthy = healthyReplicas(c, nodes);
                under += healthy < i.replicas() ? 1 : 0;
                unavailable += healthy == 0 ? 1 : 0;
            }
        }
        return new FsEntryInfo(e.path().toString(), e.path().name(), i.ino(), i.type(), String.format("%04o", i.mode()),
                i.uid(), i.gid(), i.size(), i.links(), instant(i.mtimeNs()), instant(i.ctimeNs()), i.replicas(),
                i.symlinkTarget(), chunkInfos, under, unavailable);
    }

    private static Instant instant(long ns) {
        return Instant.ofEpochSecond(Math.floorDiv(ns, 1_000_000_000L), Math.floorMod(ns, 1_000_000_000L));
    }

    private static io.unum.api.grpc.FsEntryType type(StoredInode i) {
        return switch (i.type()) {
            case FILE -> io.unum.api.grpc.FsEntryType.FS_ENTRY_TYPE_FILE;
            case DIRECTORY -> io.unum.api.grpc.FsEntryType.FS_ENTRY_TYPE_DIRECTORY;
            case SYMLINK -> io.unum.api.grpc.FsEntryType.FS_ENTRY_TYPE_SYMLINK;
        };
    }
}
