package io.unum.controlplane.fs;

import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.scheduler.Scheduled;
import io.unum.api.grpc.BlockHeader;
import io.unum.api.grpc.CopyBlockRequest;
import io.unum.api.model.NodeInfo;
import io.unum.api.model.NodeState;
import io.unum.controlplane.leader.LeaderState;
import io.unum.controlplane.node.AgentClients;
import io.unum.controlplane.node.NodeStore;
import io.unum.controlplane.scheduler.EventLog;
import io.unum.api.model.SchedulerEvent;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * On the leader: brings every chunk to its goal on READY nodes. A chunk short of it gets a copy
 * (CopyBlock on a READY node that lacks it, from its healthy replicas), then a transaction adds
 * that node if the chunk still names the block. A chunk at its goal loses its replicas on nodes
 * that are not READY, and a chunk above it (a goal lowered) its extras; their copies go to the
 * collector. At most {@code unum.fs.repair-parallelism} copies are in flight; the rest wait in line.
 */
@ApplicationScoped
public class FsRepair {
    private static final Logger LOG = Logger.getLogger(FsRepair.class);
    /** One copy moves at most a chunk (4 MiB) between two agents. */
    private static final long COPY_DEADLINE_SECONDS = 60;

    private final FsStore store;
    private final FsTree tree;
    private final FsBlocks blocks;
    private final NodeStore nodes;
    private final AgentClients agents;
    private final LeaderState leadership;
    private final FsRepairState state;
    private final FsConfig config;
    private final InstantSource clock;
    private final EventLog events;
    /** Chunks below their goal at this leader's last scan: a change from or to none is an event. */
    private long lastUnderReplicated;
    private final Set<String> copying = ConcurrentHashMap.newKeySet();
    private final ExecutorService copies;
    private long term = -1;

    public FsRepair(FsStore store, FsTree tree, FsBlocks blocks, NodeStore nodes, AgentClients agents, LeaderState leadership,
            FsRepairState state, FsConfig config, InstantSource clock, MeterRegistry metrics, EventLog events) {
        this.events = events;
        this.store = store;
        this.tree = tree;
        this.blocks = blocks;
        this.nodes = nodes;
        this.agents = agents;
        this.leadership = leadership;
        this.state = state;
        this.config = config;
        this.clock = clock;
        this.copies = Executors.newFixedThreadPool(Math.max(1, config.repairParallelism()), r -> {
            Thread t = new Thread(r, "fs-repair");
            t.setDaemon(true);
            return t;
        });
        metrics.gauge("unum_fs_chunks_under_replicated", state.underReplicated);
        metrics.gauge("unum_fs_chunks_unavailable", state.unavailable);
    }

    @Scheduled(every = "${unum.fs.repair-interval:10s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void tick() {
        try {
            if (!leadership.isLeader()) {
                return;
            }
            if (term != leadership.term()) {
                term = leadership.term();
                state.repaired.set(0); // "since it became leader"
                lastUnderReplicated = 0;
            }
            tree.ensureRoot();
            scan();
        } catch (RuntimeException e) {
            LOG.warnf("file system repair scan failed: %s", e.getMessage());
        }
    }

    /** One pass over every chunk; starts copies and trims, and records the figures. */
    void scan() {
        Map<String, NodeInfo> table = new HashMap<>();
        nodes.list().forEach(n -> table.put(n.name(), n));
        Map<Long, Integer> goals = new HashMap<>();
        long[] counts = new long[3];
        store.scan("chunks/", store.chunks, 500, (key, chunk) -> {
            long ino = Long.parseUnsignedLong(key.substring("chunks/".length(), "chunks/".length() + 16), 16);
            int goal = goals.computeIfAbsent(ino, i -> tree.inode(i).map(StoredInode::replicas).orElse(0));
            if (goal == 0) {
                return; // an orphan's: the collector's
            }
            counts[0]++;
            List<String> healthy = chunk.replicas().stream().filter(n -> FsViews.healthy(n, table)).toList();
            if (healthy.size() < goal) {
                counts[1]++;
                if (healthy.isEmpty()) {
                    counts[2]++;
                } else {
                    copy(key, chunk, healthy, table);
                }
            } else if (healthy.size() > goal || healthy.size() < chunk.replicas().size()) {
                trim(key, chunk.blockId(), goal, table);
            }
        });
        announce(counts[1], counts[2], table);
        state.chunks.set(counts[0]);
        state.underReplicated.set(counts[1]);
        state.unavailable.set(counts[2]);
        state.lastScanEpochMs.set(clock.millis());
        StoredRepairStatus figures = new StoredRepairStatus(counts[0], counts[1], counts[2], state.repaired.get(),
                state.inFlight.get(), state.lastScanEpochMs.get());
        store.change(t -> {
            t.put(FsKeys.REPAIR_STATUS, store.repairStatus, figures);
            return null;
        });
    }

    /** `unum events`: the repair begins (chunks fell below their goal) and ends (none is). */
    private void announce(long underReplicated, long unavailable, Map<String, NodeInfo> table) {
        if (underReplicated > 0 && lastUnderReplicated == 0) {
            String down = table.values().stream().filter(n -> n.state() != NodeState.READY).map(NodeInfo::name).sorted()
                    .reduce((a, b) -> a + ", " + b).orElse("none");
            events.publish(SchedulerEvent.Type.FS_REPAIR_STARTED, null, null, null, "fs-repair", underReplicated
                    + " chunks below their goal (" + unavailable + " with no replica on a READY node); nodes not READY: " + down);
        } else if (underReplicated == 0 && lastUnderReplicated > 0) {
            events.publish(SchedulerEvent.Type.FS_REPAIR_DONE, null, null, null, "fs-repair",
                    "every chunk at its goal again; " + state.repaired.get() + " replicas copied since this leader began");
        }
        lastUnderReplicated = underReplicated;
    }

    private void copy(String key, StoredChunk chunk, List<String> healthy, Map<String, NodeInfo> table) {
        // Every copy a scan finds is queued at once: the pool's threads bound the copies in flight,
        // and a copy starts as soon as one ends, not at the next scan (which made a 1 GiB repair
        // take 64 scans). The set keeps a block from being queued twice.
        if (!copying.add(chunk.blockId())) {
            return;
        }
        List<String> target = blocks.targets(null, 1, new HashSet<>(chunk.replicas()));
        if (target.isEmpty()) {
            copying.remove(chunk.blockId());
            return; // every READY node has it already
        }
        String node = target.get(0);
        List<String> sources = healthy.stream().map(n -> table.get(n).address()).toList();
        state.inFlight.incrementAndGet();
        copies.execute(() -> {
            try {
                agents.fsBlockCalls(table.get(node).address()).withDeadlineAfter(COPY_DEADLINE_SECONDS, TimeUnit.SECONDS)
                        .copyBlock(CopyBlockRequest.newBuilder().setBlock(BlockHeader.newBuilder().setBlockId(chunk.blockId())
                                .setLength(chunk.length()).setCrc32C((int) chunk.crc32c())).addAllSources(sources).build());
                if (added(key, chunk.blockId(), node)) {
                    state.repaired.incrementAndGet();
                    LOG.debugf("block %s copied to %s", chunk.blockId(), node);
                }
            } catch (RuntimeException e) {
                LOG.infof("copying block %s to %s failed: %s", chunk.blockId(), node, e.getMessage());
            } finally {
                state.inFlight.decrementAndGet();
                copying.remove(chunk.blockId());
            }
        });
    }

    /** Adds node to the chunk if it still names block; else the copy is garbage. */
    boolean added(String key, String blockId, String node) {
        return store.change(t -> {
            var c = t.get(key, store.chunks);
            if (c.isPresent() && c.get().blockId().equals(blockId)) {
                if (!c.get().replicas().contains(node)) {
                    List<String> more = new ArrayList<>(c.get().replicas());
                    more.add(node);
                    t.put(key, store.chunks, c.get().withReplicas(more));
                }
                return true;
            }
            tree.toGarbage(t, new StoredChunk(blockId, 0, 0, List.of()), List.of(node));
            return false;
        });
    }

    /** Keeps goal replicas on READY nodes (those listed first); the rest go to the collector. */
    void trim(String key, String blockId, int goal, Map<String, NodeInfo> table) {
        store.change(t -> {
            var c = t.get(key, store.chunks);
            if (c.isEmpty() || !c.get().blockId().equals(blockId)) {
                return null;
            }
            List<String> keep = c.get().replicas().stream()
                    .filter(n -> table.containsKey(n) && table.get(n).state() == NodeState.READY).limit(goal).toList();
            if (keep.size() < goal) {
                return null; // not at its goal on READY nodes (any more): nothing may go
            }
            List<String> drop = c.get().replicas().stream().filter(n -> !keep.contains(n)).toList();
            if (!drop.isEmpty()) {
                t.put(key, store.chunks, c.get().withReplicas(keep));
                tree.toGarbage(t, c.get(), drop);
            }
            return null;
        });
    }

    @PreDestroy
    void stop() {
        copies.shutdownNow();
    }
}
