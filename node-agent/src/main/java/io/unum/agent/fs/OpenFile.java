package io.unum.agent.fs;

import io.unum.api.grpc.FsChunk;
import io.unum.api.grpc.FsEntry;
import java.util.TreeMap;

/**
 * One inode's state on this node, shared by all its handles here: the committed chunk map as the
 * last open or commit saw it, and the chunks written here but not committed yet (whole chunk
 * buffers). Guarded by its own monitor.
 */
final class OpenFile {
    final long inode;
    final TreeMap<Long, FsChunk> chunks = new TreeMap<>();
    final TreeMap<Long, byte[]> dirty = new TreeMap<>();
    /** The size as this node sees it: committed, or extended by writes not committed yet. */
    long size;
    long mtimeNs;
    int handles;

    OpenFile(long inode) {
        this.inode = inode;
    }

    /** Takes the committed state from a fresh answer (the dirty chunks stay: they are newer). */
    void refresh(FsEntry entry) {
        chunks.clear();
        for (FsChunk c : entry.getChunksList()) {
            chunks.put(c.getIndex(), c);
        }
        if (dirty.isEmpty()) {
            size = entry.getSizeBytes();
        }
    }
}
