package io.unum.controlplane.fs;

import io.unum.api.fs.FsLayout;
import io.unum.api.model.FsEntryType;
import io.unum.api.model.NodeInfo;
import io.unum.api.model.NodeState;
import io.unum.controlplane.node.NodeStore;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Where a file's bytes are: new block ids and the nodes to store them on, commits that point
 * chunks at new blocks, and the agents' reports of corrupt and stored blocks.
 */
@ApplicationScoped
public class FsBlocks {
    /** At most this many chunks per commit: with the inode and the replaced blocks it fits etcd's 128 operations. */
    static final int MAX_CHUNKS_PER_COMMIT = 32;

    private final FsStore store;
    private final FsTree tree;
    private final NodeStore nodes;
    private final InstantSource clock;

    public FsBlocks(FsStore store, FsTree tree, NodeStore nodes, InstantSource clock) {
        this.store = store;
        this.tree = tree;
        this.nodes = nodes;
        this.clock = clock;
    }

    /** A new block id and its targets, with how many of them must have it for a commit. */
    record Allocation(String blockId, List<String> targets, int quorum) {
    }

    /**
     * Targets are distinct READY nodes, as many as the file's goal: the caller first when it is
     * READY, then the most free space its agent last reported.
     *
     * @throws FsFailure EIO when fewer than the goal's quorum of nodes can take it
     */
    Allocation allocate(String caller, long ino, long chunkIndex, Set<String> exclude) {
        StoredInode inode = tree.inode(ino).orElseThrow(() -> new FsFailure(FsErrno.ENOENT, "no inode " + ino));
        if (inode.type() != FsEntryType.FILE) {
            throw new FsFailure(FsErrno.EISDIR, "inode " + ino + " is not a regular file");
        }
        int goal = inode.replicas();
        List<String> targets = targets(caller, goal, exclude);
        int quorum = FsLayout.quorum(goal);
        if (targets.size() < quorum) {
            throw new FsFailure(FsErrno.EIO, "only " + targets.size() + " READY node(s) can store a block; a goal of "
                    + goal + " needs at least " + quorum);
        }
        return new Allocation(FsKeys.newBlockId(ino, chunkIndex), targets, quorum);
    }

    /** Up to count READY nodes not in exclude: preferred first when it is one of them, then by free space. */
    List<String> targets(String preferred, int count, Set<String> exclude) {
        Map<String, Long> free = freeSpace();
        List<String> ready = nodes.list().stream().filter(n -> n.state() == NodeState.READY)
                .map(NodeInfo::name).filter(n -> !exclude.contains(n))
                .sorted(Comparator.comparingLong((String n) -> -free.getOrDefault(n, 0L)).thenComparing(n -> n))
                .toList();
        List<String> chosen = new ArrayList<>();
        if (preferred != null && ready.contains(preferred)) {
            chosen.add(preferred);
        }
        for (String n : ready) {
            if (chosen.size() >= count) {
                break;
            }
            if (!chosen.contains(n)) {
                chosen.add(n);
            }
        }
        return chosen.subList(0, Math.min(count, chosen.size()));
    }

    /** Each node's free bytes as its agent last reported them. */
    Map<String, Long> freeSpace() {
        Map<String, Long> free = new HashMap<>();
        store.scan("usage/", store.usage, 1000, (key, u) -> free.put(key.substring("usage/".length()), u.freeBytes()));
        return free;
    }

    /** A chunk as the agent commits it. */
    record NewChunk(long index, String blockId, long length, long crc32c, List<String> replicas) {
    }

    /**
     * Points the chunks at their new blocks and sets size and mtime, in one transaction; the blocks
     * they replace go to the collector.
     *
     * @throws FsFailure EINVAL for more than {@value #MAX_CHUNKS_PER_COMMIT} chunks or a block id that
     *     does not name its chunk, EIO for a chunk on fewer nodes than the goal's quorum
     */
    StoredInode commit(long ino, List<NewChunk> chunks, long size, long mtimeNs) {
        if (chunks.size() > MAX_CHUNKS_PER_COMMIT) {
            throw new FsFailure(FsErrno.EINVAL, "at most " + MAX_CHUNKS_PER_COMMIT + " chunks per commit, not " + chunks.size());
        }
        for (NewChunk c : chunks) {
            Optional<FsKeys.ChunkRef> ref = FsKeys.chunkOf(c.blockId());
            if (ref.isEmpty() || ref.get().ino() != ino || ref.get().index() != c.index()) {
                throw new FsFailure(FsErrno.EINVAL, "block " + c.blockId() + " is not one of chunk " + c.index() + " of inode " + ino);
            }
            if (c.length() < 0 || c.length() > FsLayout.CHUNK_SIZE) {
                throw new FsFailure(FsErrno.EINVAL, "a chunk holds 0 to " + FsLayout.CHUNK_SIZE + " bytes, not " + c.length());
            }
        }
        return store.change(t -> {
            StoredInode inode = t.get(FsKeys.inode(ino), store.inodes)
                    .orElseThrow(() -> new FsFailure(FsErrno.ENOENT, "no inode " + ino));
            if (inode.type() != FsEntryType.FILE) {
                throw new FsFailure(FsErrno.EISDIR, "inode " + ino + " is not a regular file");
            }
            int quorum = FsLayout.quorum(inode.replicas());
            for (NewChunk c : chunks) {
                List<String> replicas = List.copyOf(new LinkedHashSet<>(c.replicas()));
                if (replicas.size() < quorum) {
                    throw new FsFailure(FsErrno.EIO, "chunk " + c.index() + " is on " + replicas.size()
                            + " node(s); a goal of " + inode.replicas() + " needs at least " + quorum);
                }
                String key = FsKeys.chunk(ino, c.index());
                t.get(key, store.chunks).filter(old -> !old.blockId().equals(c.blockId()))
                        .ifPresent(old -> tree.toGarbage(t, old, old.replicas()));
                t.put(key, store.chunks, new StoredChunk(c.blockId(), c.length(), c.crc32c(), replicas));
            }
            long now = clock.instant().getEpochSecond() * 1_000_000_000L + clock.instant().getNano();
            StoredInode changed = inode.withSize(size, mtimeNs == 0 ? now : mtimeNs, now);
            t.put(FsKeys.inode(ino), store.inodes, changed);
            return changed;
        });
    }

    /** The replica of node is dropped from its chunk (the repair makes a new one) and its copy becomes garbage. */
    void corrupt(String node, String blockId) {
        Optional<FsKeys.ChunkRef> ref = FsKeys.chunkOf(blockId);
        if (ref.isEmpty()) {
            throw new FsFailure(FsErrno.EINVAL, "'" + blockId + "' is not a block id");
        }
        store.change(t -> {
            String key = FsKeys.chunk(ref.get().ino(), ref.get().index());
            Optional<StoredChunk> c = t.get(key, store.chunks);
            if (c.isPresent() && c.get().blockId().equals(blockId) && c.get().replicas().contains(node)) {
                t.put(key, store.chunks, c.get().withReplicas(c.get().replicas().stream().filter(n -> !n.equals(node)).toList()));
            }
            tree.toGarbage(t, new StoredChunk(blockId, 0, 0, List.of()), List.of(node));
            return null;
        });
    }

    /**
     * Stores the node's figures and answers which of its blocks to delete: those whose chunk does
     * not name them, or does not list node among its replicas.
     */
    List<String> report(String node, List<String> blockIds, long capacity, long free, long used) {
        store.change(t -> {
            t.put(FsKeys.usage(node), store.usage, new StoredUsage(capacity, free, used, blockIds.size(), clock.millis()));
            return null;
        });
        Map<Long, Map<Long, StoredChunk>> byInode = new HashMap<>();
        List<String> delete = new ArrayList<>();
        for (String id : blockIds) {
            Optional<FsKeys.ChunkRef> ref = FsKeys.chunkOf(id);
            if (ref.isEmpty()) {
                delete.add(id);
                continue;
            }
            StoredChunk c = byInode.computeIfAbsent(ref.get().ino(), tree::chunks).get(ref.get().index());
            if (c == null || !c.blockId().equals(id) || !c.replicas().contains(node)) {
                delete.add(id);
            }
        }
        return delete;
    }
}
