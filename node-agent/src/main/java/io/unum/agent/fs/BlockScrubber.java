package io.unum.agent.fs;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.logging.Logger;

/**
 * Re-verifies this node's blocks one at a time, one per run (the caller paces the runs: a block a
 * second is at most 4 MiB/s), so that a copy rotting on disk is found before a read needs it.
 */
final class BlockScrubber implements Runnable {
    private static final Logger LOG = Logger.getLogger(BlockScrubber.class.getName());

    private final BlockStore store;
    private final BlockReader reader;
    private final Deque<String> pending = new ArrayDeque<>();

    BlockScrubber(BlockStore store, BlockReader reader) {
        this.store = store;
        this.reader = reader;
    }

    @Override
    public void run() {
        try {
            if (pending.isEmpty()) {
                store.list().forEach(b -> pending.add(b.id()));
            }
            String id = pending.poll();
            if (id != null) {
                store.get(id);
            }
        } catch (CorruptBlockException e) {
            reader.discardCorrupt(e);
        } catch (IOException | IllegalArgumentException e) {
            LOG.warning("scrubber: " + e.getMessage());
        }
    }
}
