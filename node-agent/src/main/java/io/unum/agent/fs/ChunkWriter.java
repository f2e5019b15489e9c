package io.unum.agent.fs;

import io.unum.api.grpc.AllocateBlockResponse;
import io.unum.api.grpc.FsChunk;
import io.unum.api.grpc.FsReplica;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.logging.Logger;

/**
 * Stores one chunk's new bytes as a block on the nodes the control plane allocates, in parallel.
 * Targets that fail are replaced by allocating again without them (a new block id: the copies
 * already made under the old one are collected as uncommitted after the grace), a few times.
 */
final class ChunkWriter {
    private static final Logger LOG = Logger.getLogger(ChunkWriter.class.getName());
    private static final int ATTEMPTS = 3;

    private final String node;
    private final BlockStore store;
    private final BlockPeers peers;
    private final MetadataClient metadata;
    private final ExecutorService transfers;

    ChunkWriter(String node, BlockStore store, BlockPeers peers, MetadataClient metadata, ExecutorService transfers) {
        this.node = node;
        this.store = store;
        this.peers = peers;
        this.metadata = metadata;
        this.transfers = transfers;
    }

    /** The chunk to commit: its block is on every replica it names, at least a quorum of the goal. */
    FsChunk store(long inode, long index, byte[] data) throws FsErrnoException {
        int crc = Block.crc(data, data.length);
        List<String> exclude = new ArrayList<>();
        FsChunk enough = null;
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            AllocateBlockResponse a;
            try {
                a = metadata.allocateBlock(inode, index, exclude);
            } catch (FsErrnoException e) {
                if (enough != null) {
                    return enough; // no more nodes to replace the failed ones with; the repair will add them
                }
                throw e;
            }
            Block block = new Block(a.getBlockId(), data, crc);
            List<CompletableFuture<Boolean>> puts = a.getTargetsList().stream()
                    .map(t -> CompletableFuture.supplyAsync(() -> put(t, block), transfers)).toList();
            FsChunk.Builder chunk = FsChunk.newBuilder().setIndex(index).setBlockId(block.id()).setLength(data.length)
                    .setCrc32C(crc);
            for (int i = 0; i < puts.size(); i++) {
                FsReplica target = a.getTargetsList().get(i);
                if (puts.get(i).join()) {
                    chunk.addReplicas(target);
                } else {
                    exclude.add(target.getNode());
                }
            }
            if (chunk.getReplicasCount() == a.getTargetsCount()) {
                return chunk.build();
            }
            if (enough == null && chunk.getReplicasCount() >= Math.max(1, a.getQuorum())) {
                enough = chunk.build();
            }
        }
        if (enough != null) {
            return enough;
        }
        throw new FsErrnoException(Errno.EIO, "chunk " + index + " of inode " + inode + " could not be stored on a quorum of nodes");
    }

    private boolean put(FsReplica target, Block block) {
        try {
            if (target.getNode().equals(node)) {
                store.put(block);
            } else {
                peers.put(target.getAddress(), block);
            }
            return true;
        } catch (Exception e) {
            LOG.warning("cannot store " + block + " on " + target.getNode() + " (" + target.getAddress() + "): " + e);
            return false;
        }
    }
}
