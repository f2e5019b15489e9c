package io.unum.controlplane.migration;

import io.unum.api.grpc.DescribeProcessResponse;
import io.unum.api.grpc.LocalProcess;
import io.unum.api.model.MigrationInfo;
import io.unum.api.model.MigrationMode;
import io.unum.api.model.MigrationState;
import io.unum.api.model.NodeInfo;
import io.unum.api.model.NodeState;
import io.unum.api.model.ProcessInfo;
import io.unum.api.model.ProcessState;
import io.unum.controlplane.checkpoint.CheckpointStore;
import io.unum.controlplane.checkpoint.Checkpointer;
import io.unum.controlplane.image.AgentImages;
import io.unum.controlplane.image.AgentImages.AgentCallException;
import io.unum.controlplane.node.HeldCopies;
import io.unum.controlplane.node.NodeStore;
import io.unum.controlplane.process.ProcessLocks;
import io.unum.controlplane.process.ProcessStore;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.jboss.logging.Logger;

/**
 * The held copies an agent lists when it registers or heartbeats: a copy whose commit happened (the process record names this
 * node, and the image it came from is that of a committed migration to this node or of a
 * checkpoint restart) is released — its release was interrupted, e.g. by the node going DOWN;
 * any other is discarded, so that no copy the record does not name ever runs — except the one a
 * failed post-copy move left as the only copy (its source sent it every page and holds nothing),
 * which is committed like a restart. A process still locked is left to the migration or restart
 * that holds the lock.
 */
@ApplicationScoped
public class HeldCopyReconciler implements HeldCopies {
    private static final Logger LOG = Logger.getLogger(HeldCopyReconciler.class);

    private final ProcessStore processes;
    private final ProcessLocks locks;
    private final MigrationLedger migrations;
    private final CheckpointStore checkpoints;
    private final AgentImages images;
    private final NodeStore nodes;
    private final Checkpointer checkpointer;
    /** Off the registration call: the agent answers our calls once it has registered. */
    private final ExecutorService calls = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "held-copies");
        t.setDaemon(true);
        return t;
    });

    public HeldCopyReconciler(ProcessStore processes, ProcessLocks locks, MigrationStore migrations,
            CheckpointStore checkpoints, AgentImages images, NodeStore nodes, Checkpointer checkpointer, InstantSource clock) {
        this.clock = clock;
        this.nodes = nodes;
        this.checkpointer = checkpointer;
        this.processes = processes;
        this.locks = locks;
        this.migrations = migrations;
        this.checkpoints = checkpoints;
        this.images = images;
    }

    @PreDestroy
    void stop() {
        calls.shutdownNow();
    }

    private static final Duration DISCARD_GRACE = Duration.ofSeconds(10);
    /** When each held copy (node, gpid, image) was first seen held and not named by its record. */
    private final Map<String, Instant> heldSince = new ConcurrentHashMap<>();
    private final InstantSource clock;

    /** Gpids queued or being settled: heartbeats list a held copy every second until it is settled. */
    private final Set<Integer> pending = ConcurrentHashMap.newKeySet();

    @Override
    public void settle(NodeInfo node, List<LocalProcess> held) {
        for (LocalProcess local : held) {
            if (pending.add(local.getGpid())) {
                calls.execute(() -> {
                    try {
                        settleOne(node, local);
                    } finally {
                        pending.remove(local.getGpid());
                    }
                });
            }
        }
    }

    private void settleOne(NodeInfo node, LocalProcess local) {
        int gpid = local.getGpid();
        if (locks.holder(gpid).isPresent()) {
            return;
        }
        try {
            if (committed(node.name(), gpid, local.getImageId())) {
                heldSince.remove(key(node.name(), local));
                images.release(node, gpid, local.getImageId());
                LOG.infof("released gpid %d on %s: its record committed that copy (image %s)", gpid, node.name(),
                        local.getImageId());
                return;
            }
            Orphan orphan = orphanOfPostCopy(node.name(), gpid, local.getImageId());
            if (orphan == Orphan.ONLY_COPY) {
                heldSince.remove(key(node.name(), local));
                checkpointer.adoptHeldCopy(node, gpid, local.getImageId(), local.getLocalPid());
            } else if (orphan == Orphan.UNDECIDED) {
                LOG.debugf("gpid %d: the held copy on %s waits until its source can say what it holds", gpid, node.name());
            } else if (heldLongEnough(node.name(), local)) {
                images.discard(node, gpid);
                heldSince.remove(key(node.name(), local));
                LOG.infof("discarded a held copy of gpid %d on %s: its record does not name it", gpid, node.name());
            }
        } catch (AgentCallException e) {
            // The next registration tries again; a held copy meanwhile stays stopped.
            LOG.warnf("settling the held copy of gpid %d on %s: %s", gpid, node.name(), e.getMessage());
        }
    }

    /**
     * A held copy is discarded only once it has been seen held for {@link #DISCARD_GRACE}: the
     * operation that restored it (a restart commits the record and drops its lock, then releases
     * the copy) may be a moment from naming it, and this replica's view of the record and the lock
     * may lag etcd by as much. Stopped, it can wait; discarded, it is gone (seen in the chaos test:
     * a kept image's restart committed 40 ms after its copy was discarded as "not named").
     */
    private boolean heldLongEnough(String node, LocalProcess local) {
        Instant first = heldSince.computeIfAbsent(key(node, local), k -> clock.instant());
        return !clock.instant().isBefore(first.plus(DISCARD_GRACE));
    }

    private static String key(String node, LocalProcess local) {
        return node + "/" + local.getGpid() + "/" + local.getImageId();
    }

    private enum Orphan { NO, UNDECIDED, ONLY_COPY }

    /**
     * Whether a held copy is what a failed post-copy move to this node left as the process's
     * only copy: its target died mid-restore after the source had sent every page, so the
     * source holds neither the process nor the image (the record says LOST). Undecided while the
     * source cannot say.
     */
    private Orphan orphanOfPostCopy(String node, int gpid, String imageId) {
        MigrationInfo m = migrations.find(imageId).orElse(null);
        ProcessInfo record = processes.find(gpid).orElse(null);
        if (m == null || m.gpid() != gpid || m.mode() != MigrationMode.POST_COPY || !node.equals(m.target())
                || m.state() != MigrationState.FAILED || record == null || record.state() != ProcessState.LOST) {
            return Orphan.NO;
        }
        NodeInfo source = nodes.find(m.source()).filter(n -> n.state() != NodeState.DOWN).orElse(null);
        if (source == null) {
            return Orphan.UNDECIDED;
        }
        DescribeProcessResponse d;
        try {
            d = images.describe(source, gpid);
        } catch (AgentCallException e) {
            return Orphan.UNDECIDED;
        }
        if (d.getImagesList().contains(imageId)) {
            return Orphan.NO; // the source can bring it back from the image it kept
        }
        return switch (d.getPresence()) {
            case PRESENCE_ABSENT, PRESENCE_LEFT -> Orphan.ONLY_COPY;
            case PRESENCE_DUMPING -> Orphan.UNDECIDED;
            default -> Orphan.NO;
        };
    }

    private boolean committed(String node, int gpid, String imageId) {
        ProcessInfo record = processes.find(gpid).orElse(null);
        if (record == null || !node.equals(record.node()) || imageId.isEmpty()
                || (record.state() != ProcessState.RUNNING && record.state() != ProcessState.LOST)) {
            return false;
        }
        MigrationInfo m = migrations.find(imageId).orElse(null);
        if (m != null) {
            return m.gpid() == gpid && node.equals(m.target())
                    && (m.state() == MigrationState.RELEASING || m.state() == MigrationState.DONE);
        }
        return checkpoints.find(imageId).filter(c -> c.gpid() == gpid).isPresent();
    }
}
