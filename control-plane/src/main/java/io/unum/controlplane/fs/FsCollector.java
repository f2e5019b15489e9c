package io.unum.controlplane.fs;

import io.quarkus.scheduler.Scheduled;
import io.unum.api.grpc.DeleteBlocksRequest;
import io.unum.api.model.NodeInfo;
import io.unum.api.model.NodeState;
import io.unum.controlplane.leader.LeaderState;
import io.unum.controlplane.node.AgentClients;
import io.unum.controlplane.node.NodeStore;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * On the leader: frees what nothing names any more. An orphan's chunks become garbage keys, a few
 * per transaction; a garbage key older than the grace is a DeleteBlocks to its node, and goes once
 * the node confirmed. A node that is not READY keeps its keys (it deletes copies no chunk lists at
 * its next report anyway); a node that was removed has its keys dropped.
 */
@ApplicationScoped
public class FsCollector {
    private static final Logger LOG = Logger.getLogger(FsCollector.class);
    /** Chunks of an orphan freed per transaction: each is a delete and up to 9 garbage keys. */
    private static final int ORPHAN_BATCH = 10;
    private static final int DELETE_BATCH = 500;

    private final FsStore store;
    private final FsTree tree;
    private final NodeStore nodes;
    private final AgentClients agents;
    private final LeaderState leadership;
    private final FsConfig config;
    private final InstantSource clock;

    public FsCollector(FsStore store, FsTree tree, NodeStore nodes, AgentClients agents, LeaderState leadership,
            FsConfig config, InstantSource clock) {
        this.store = store;
        this.tree = tree;
        this.nodes = nodes;
        this.agents = agents;
        this.leadership = leadership;
        this.config = config;
        this.clock = clock;
    }

    @Scheduled(every = "${unum.fs.repair-interval:10s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void tick() {
        try {
            if (!leadership.isLeader()) {
                return;
            }
            collectOrphans();
            deleteGarbage();
        } catch (RuntimeException e) {
            LOG.warnf("file system collection failed: %s", e.getMessage());
        }
    }

    void collectOrphans() {
        List<Long> orphans = new ArrayList<>();
        store.scan("orphans/", store.orphans, 500, (key, o) -> orphans.add(o.ino()));
        for (long ino : orphans) {
            boolean more = true;
            while (more && leadership.isLeader()) {
                more = store.change(t -> {
                    Map<String, StoredChunk> batch = t.list(FsKeys.chunks(ino), store.chunks, ORPHAN_BATCH);
                    if (batch.isEmpty()) {
                        t.get(FsKeys.orphan(ino), store.orphans);
                        t.delete(FsKeys.orphan(ino));
                        return false;
                    }
                    for (String key : batch.keySet()) {
                        StoredChunk c = t.get(key, store.chunks).orElseThrow();
                        tree.toGarbage(t, c, c.replicas());
                        t.delete(key);
                    }
                    return true;
                });
            }
        }
    }

    void deleteGarbage() {
        long cutoff = clock.millis() - config.garbageGrace().toMillis();
        Map<String, NodeInfo> table = new HashMap<>();
        nodes.list().forEach(n -> table.put(n.name(), n));
        Map<String, List<String>> keysByNode = new HashMap<>();
        store.scan("garbage/", store.garbage, 1000, (key, g) -> {
            if (g.sinceEpochMs() <= cutoff) {
                String node = key.substring(key.lastIndexOf('/') + 1);
                keysByNode.computeIfAbsent(node, n -> new ArrayList<>()).add(key);
            }
        });
        keysByNode.forEach((node, keys) -> {
            NodeInfo n = table.get(node);
            if (n == null) {
                store.deleteAll(keys);
                return;
            }
            if (n.state() != NodeState.READY) {
                return;
            }
            for (int i = 0; i < keys.size() && leadership.isLeader(); i += DELETE_BATCH) {
                List<String> batch = keys.subList(i, Math.min(keys.size(), i + DELETE_BATCH));
                List<String> ids = batch.stream().map(k -> k.substring("garbage/".length(), k.lastIndexOf('/'))).toList();
                try {
                    agents.fsBlockCalls(n.address()).withDeadlineAfter(30, TimeUnit.SECONDS)
                            .deleteBlocks(DeleteBlocksRequest.newBuilder().addAllBlockIds(ids).build());
                    store.deleteAll(batch);
                } catch (RuntimeException e) {
                    LOG.infof("node %s did not delete %d garbage blocks: %s", node, ids.size(), e.getMessage());
                    return;
                }
            }
        });
    }
}
