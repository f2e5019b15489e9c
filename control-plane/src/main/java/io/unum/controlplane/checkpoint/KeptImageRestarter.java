package io.unum.controlplane.checkpoint;

import io.quarkus.scheduler.Scheduled;
import io.unum.api.grpc.DescribeProcessResponse;
import io.unum.api.grpc.ExitStatus;
import io.unum.api.grpc.Presence;
import io.unum.api.model.CheckpointInfo;
import io.unum.api.model.NodeInfo;
import io.unum.api.model.NodeState;
import io.unum.api.model.ProcessInfo;
import io.unum.api.model.ProcessState;
import io.unum.controlplane.image.AgentImages;
import io.unum.controlplane.image.AgentImages.AgentCallException;
import io.unum.controlplane.leader.LeaderState;
import io.unum.controlplane.node.NodeStore;
import io.unum.controlplane.process.KeptImage;
import io.unum.controlplane.process.ProcessLocks;
import io.unum.controlplane.process.ProcessStore;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.InstantSource;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * On the leader: brings back every process kept LOST in an image (a migration that could neither
 * finish nor roll back, mostly because the node with the image was DOWN) as soon as the node
 * holding the image is READY, by the node's own account of it: a tree that runs there after all
 * (its dump failed and CRIU let it go) makes the record RUNNING; a whole image (or a post-copy
 * dump still serving its pages) is restarted from; a tree that ended with no image left makes the
 * record EXITED. A dump still being settled there is asked again at the next round. Never lost:
 * the record does not wait for someone to type {@code unum restart}. And every other LOST
 * record whose node is READY again is settled the same way (see {@link #settleLostWithNode}).
 */
@ApplicationScoped
public class KeptImageRestarter {
    private static final Logger LOG = Logger.getLogger(KeptImageRestarter.class);

    private final ProcessStore processes;
    private final ProcessLocks locks;
    private final CheckpointStore checkpoints;
    private final Checkpointer checkpointer;
    private final NodeStore nodes;
    private final AgentImages images;
    private final LeaderState leadership;
    private final InstantSource clock;

    public KeptImageRestarter(ProcessStore processes, ProcessLocks locks, CheckpointStore checkpoints,
            Checkpointer checkpointer, NodeStore nodes, AgentImages images, LeaderState leadership, InstantSource clock) {
        this.processes = processes;
        this.locks = locks;
        this.checkpoints = checkpoints;
        this.checkpointer = checkpointer;
        this.nodes = nodes;
        this.images = images;
        this.leadership = leadership;
        this.clock = clock;
    }

    @Scheduled(every = "1s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void run() {
        if (!leadership.isLeader()) {
            return;
        }
        for (ProcessInfo p : processes.list()) {
            try {
                if (KeptImage.lostInto(p, null)) {
                    settle(p);
                } else if (p.state() == ProcessState.LOST) {
                    settleLostWithNode(p);
                }
            } catch (RuntimeException e) {
                LOG.warnf("gpid %d, LOST: %s; trying again", p.gpid(), e.getMessage());
            }
        }
    }

    /**
     * A process LOST with its node, once the node is READY again and nothing holds its lock: by
     * the node's account. Its registration does the same, but skips a process a migration holds
     * at that moment (say, committed to that node just as it was declared DOWN), which would then
     * stay LOST while it runs there.
     */
    private void settleLostWithNode(ProcessInfo p) {
        int gpid = p.gpid();
        if (locks.holder(gpid).isPresent()) {
            return;
        }
        Optional<Answer> answer = ask(p.node(), gpid);
        if (answer.isEmpty()) {
            return;
        }
        String node = answer.get().node().name();
        DescribeProcessResponse d = answer.get().said();
        if (d.getPresence() == Presence.PRESENCE_RUNNING) {
            processes.update(gpid, r -> r.state() == ProcessState.LOST && node.equals(r.node()) && locks.holder(gpid).isEmpty()
                    ? r.runningOn(node, d.getLocalPid(), clock.instant()) : r);
            LOG.infof("gpid %d, LOST with %s, runs there (pid %d)", gpid, node, d.getLocalPid());
        } else if (d.getPresence() == Presence.PRESENCE_ENDED) {
            processes.update(gpid, r -> r.state() != ProcessState.LOST || !node.equals(r.node()) ? r : exited(r, d.getExitStatus()));
            LOG.infof("gpid %d, LOST with %s, had ended there", gpid, node);
        }
        // HELD and DUMPING are settled by their own reconcilers; ABSENT by the node's registration.
    }

    /** A node's account of a process. */
    private record Answer(NodeInfo node, DescribeProcessResponse said) {
    }

    /** The account of gpid by the named node if it is READY and answers; else empty (asked again next round). */
    private Optional<Answer> ask(String nodeName, int gpid) {
        NodeInfo node = nodes.find(nodeName).filter(n -> n.state() == NodeState.READY).orElse(null);
        if (node == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(new Answer(node, images.describe(node, gpid)));
        } catch (AgentCallException e) {
            return Optional.empty();
        }
    }

    private ProcessInfo exited(ProcessInfo r, ExitStatus status) {
        return switch (status.getStatusCase()) {
            case CODE -> r.exited(status.getCode(), null, clock.instant());
            case SIGNAL -> r.exited(null, status.getSignal(), clock.instant());
            case STATUS_NOT_SET -> r.exited(null, null, clock.instant());
        };
    }

    private void settle(ProcessInfo p) {
        int gpid = p.gpid();
        if (locks.holder(gpid).isPresent()) {
            return;
        }
        Optional<CheckpointInfo> kept = checkpoints.list().stream()
                .filter(c -> c.gpid() == gpid && KeptImage.lostInto(p, c.id())).findFirst();
        if (kept.isEmpty()) {
            return;
        }
        String id = kept.get().id();
        Optional<Answer> answer = ask(kept.get().node(), gpid);
        if (answer.isEmpty()) {
            return;
        }
        NodeInfo node = answer.get().node();
        DescribeProcessResponse d = answer.get().said();
        boolean imageThere = d.getImagesList().contains(id);
        switch (d.getPresence()) {
            case PRESENCE_RUNNING -> {
                processes.update(gpid, r -> KeptImage.lostInto(r, id) && node.name().equals(r.node())
                        ? r.runningOn(node.name(), d.getLocalPid(), clock.instant()) : r);
                LOG.infof("gpid %d, kept in image %s, runs on %s after all (pid %d)", gpid, id, node.name(), d.getLocalPid());
            }
            case PRESENCE_LEFT, PRESENCE_ABSENT, PRESENCE_ENDED -> {
                if (imageThere) {
                    ProcessInfo running = checkpointer.restart(id, node.name());
                    LOG.infof("gpid %d restarted from its kept image %s on %s as pid %d", gpid, id, node.name(),
                            running.localPid());
                } else if (d.getPresence() == Presence.PRESENCE_ENDED) {
                    ended(gpid, id, node.name(), d.getExitStatus());
                } else {
                    imageGone(gpid, id, node.name());
                }
            }
            default -> {
                // DUMPING: an interrupted dump is being settled there; HELD: the held-copy reconcile settles it.
            }
        }
    }

    /**
     * The node is back and holds neither the process nor the image the record says it was kept in
     * (a post-copy source that had sent every page keeps none, though the migration, unable to
     * ask it, assumed one): the record stays LOST, and no longer promises a restart that cannot be.
     */
    private void imageGone(int gpid, String id, String node) {
        Optional<ProcessInfo> updated = processes.update(gpid, r -> KeptImage.lostInto(r, id)
                ? r.withState(ProcessState.LOST, KeptImage.gone(r.reason(), node, id)) : r);
        if (updated.isPresent() && !KeptImage.lostInto(updated.get(), id)) {
            checkpoints.delete(id);
            LOG.warnf("gpid %d: %s holds neither it nor its image %s; it stays LOST, with no copy known", gpid, node, id);
        }
    }

    private void ended(int gpid, String id, String node, ExitStatus status) {
        processes.update(gpid, r -> KeptImage.lostInto(r, id) ? exited(r, status) : r);
        LOG.infof("gpid %d, kept in image %s, ended on %s and the image is gone", gpid, id, node);
    }
}
