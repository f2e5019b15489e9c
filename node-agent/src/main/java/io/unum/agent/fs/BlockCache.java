package io.unum.agent.fs;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/** Verified blocks by id, least recently used out first. Blocks never change, so nothing here is ever stale. */
final class BlockCache {
    private final long limitBytes;
    private final LinkedHashMap<String, Block> blocks = new LinkedHashMap<>(16, 0.75f, true);
    private long bytes;

    BlockCache(long limitBytes) {
        this.limitBytes = limitBytes;
    }

    synchronized Block get(String id) {
        return blocks.get(id);
    }

    synchronized void put(Block block) {
        Block old = blocks.put(block.id(), block);
        bytes += block.length() - (old != null ? old.length() : 0);
        Iterator<Map.Entry<String, Block>> eldest = blocks.entrySet().iterator();
        while (bytes > limitBytes && eldest.hasNext()) {
            bytes -= eldest.next().getValue().length();
            eldest.remove();
        }
    }

    synchronized void remove(String id) {
        Block old = blocks.remove(id);
        if (old != null) {
            bytes -= old.length();
        }
    }
}
