package io.unum.agent.fs;

import io.grpc.StatusRuntimeException;
import io.unum.api.grpc.FsChunk;
import io.unum.api.grpc.FsReplica;
import java.io.IOException;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * A chunk's block, verified: from the cache, else this node's copy, else a replica node's. A local
 * copy that fails its check is reported to the control plane (which drops the replica and has it
 * repaired) and deleted; the next replica is tried.
 */
final class BlockReader {
    private static final Logger LOG = Logger.getLogger(BlockReader.class.getName());

    private final String node;
    private final BlockStore store;
    private final BlockPeers peers;
    private final MetadataClient metadata;
    private final BlockCache cache;

    BlockReader(String node, BlockStore store, BlockPeers peers, MetadataClient metadata, BlockCache cache) {
        this.node = node;
        this.store = store;
        this.peers = peers;
        this.metadata = metadata;
        this.cache = cache;
    }

    Block read(FsChunk chunk) throws FsErrnoException {
        String id = chunk.getBlockId();
        Block cached = cache.get(id);
        if (cached != null) {
            return cached;
        }
        Optional<Block> local = local(chunk);
        if (local.isPresent()) {
            cache.put(local.get());
            return local.get();
        }
        for (FsReplica r : chunk.getReplicasList()) {
            if (r.getNode().equals(node) || r.getAddress().isEmpty()) {
                continue;
            }
            try {
                Block b = peers.get(r.getAddress(), id, chunk.getLength(), chunk.getCrc32C());
                cache.put(b);
                return b;
            } catch (CorruptBlockException e) {
                // The sender verified its copy before sending: what arrived is not what it holds.
                LOG.warning("from " + r.getNode() + ": " + e.getMessage() + "; trying the next replica");
            } catch (StatusRuntimeException e) {
                LOG.warning("block " + id + " from " + r.getNode() + " (" + r.getAddress() + "): " + e.getStatus()
                        + "; trying the next replica");
            }
        }
        throw new FsErrnoException(Errno.EIO, "no replica of block " + id + " could be read");
    }

    /** This node's copy if it has a good one; a bad one is reported and deleted. */
    private Optional<Block> local(FsChunk chunk) {
        String id = chunk.getBlockId();
        try {
            Optional<Block> b = store.get(id);
            if (b.isEmpty()) {
                return b;
            }
            // Checked against its own header by the store; the chunk's figures must match too.
            Block.verified(id, b.get().data(), chunk.getLength(), chunk.getCrc32C());
            return b;
        } catch (CorruptBlockException e) {
            discardCorrupt(e);
        } catch (IOException e) {
            LOG.warning("cannot read block " + id + " here: " + e.getMessage() + "; trying the replicas");
        }
        return Optional.empty();
    }

    /** Reports this node's bad copy and deletes it, so that the repair makes a new one elsewhere. */
    void discardCorrupt(CorruptBlockException e) {
        LOG.warning(e.getMessage() + ": reporting it and deleting this node's copy");
        cache.remove(e.blockId());
        metadata.reportCorruptBlock(e.blockId(), e.getMessage());
        try {
            store.delete(e.blockId());
        } catch (IOException io) {
            LOG.warning("cannot delete corrupt block " + e.blockId() + ": " + io.getMessage());
        }
    }
}
