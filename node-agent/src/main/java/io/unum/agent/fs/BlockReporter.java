package io.unum.agent.fs;

import io.unum.api.grpc.ReportBlocksRequest;
import io.unum.api.grpc.ReportBlocksResponse;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.logging.Logger;

/**
 * Tells the control plane which blocks this node keeps and its disk's figures, and deletes the
 * blocks the answer names (no chunk references them). Blocks younger than the grace are left out:
 * a block stored for a commit that has not happened yet is not garbage.
 */
final class BlockReporter implements Runnable {
    private static final Logger LOG = Logger.getLogger(BlockReporter.class.getName());
    static final Duration GRACE = Duration.ofMinutes(10);

    private final BlockStore store;
    private final MetadataClient metadata;

    BlockReporter(BlockStore store, MetadataClient metadata) {
        this.store = store;
        this.metadata = metadata;
    }

    @Override
    public void run() {
        try {
            Instant settled = Instant.now().minus(GRACE);
            ReportBlocksRequest.Builder r = ReportBlocksRequest.newBuilder();
            for (BlockStore.Stored b : store.list()) {
                if (b.written().isBefore(settled)) {
                    r.addBlockIds(b.id());
                }
            }
            BlockStore.Figures f = store.figures();
            r.setCapacityBytes(f.capacityBytes()).setFreeBytes(f.freeBytes()).setUsedBytes(f.usedBytes());
            ReportBlocksResponse answer = metadata.reportBlocks(r.build());
            int deleted = 0;
            for (String id : answer.getDeleteBlockIdsList()) {
                if (store.delete(id)) {
                    deleted++;
                }
            }
            if (deleted > 0) {
                LOG.info("deleted " + deleted + " blocks no chunk references");
            }
        } catch (FsErrnoException | IOException | IllegalArgumentException e) {
            LOG.warning("block report: " + e.getMessage());
        }
    }
}
