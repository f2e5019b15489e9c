package io.unum.controlplane.checkpoint;

import io.grpc.Status;
import io.unum.api.grpc.DumpProcessResponse;
import io.unum.api.grpc.DescribeProcessResponse;
import io.unum.api.grpc.ExitStatus;
import io.unum.api.grpc.Presence;
import io.unum.api.model.Capability;
import io.unum.api.model.CheckpointInfo;
import io.unum.api.model.NodeInfo;
import io.unum.api.model.NodeLoad;
import io.unum.api.model.NodeState;
import io.unum.api.model.ProcessInfo;
import io.unum.api.model.ProcessState;
import io.unum.controlplane.error.UnumException;
import io.unum.controlplane.etcd.EtcdTable.Versioned;
import io.unum.controlplane.fs.FsOperations;
import io.unum.controlplane.image.AgentImages;
import io.unum.controlplane.image.AgentImages.AgentCallException;
import io.unum.controlplane.migration.DriverPresence;
import io.unum.controlplane.node.NodeStore;
import io.unum.controlplane.process.KeptImage;
import io.unum.controlplane.process.ProcessLocks;
import io.unum.controlplane.process.ProcessStore;
import jakarta.enterprise.context.ApplicationScoped;
import java.security.SecureRandom;
import java.time.InstantSource;
import java.time.Instant;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;
import org.jboss.logging.Logger;

/**
 * Takes checkpoints and restarts from them. A checkpoint is a process image kept by the agent of the node the
 * process ran on (CRIU dump, left running unless killed), with a copy in the cluster file system;
 * a restart copies the image to the chosen node when it is elsewhere (from that node, or from the
 * file system when that node is not READY), restores the process there held (stopped) with its gpid,
 * writes the record RUNNING again (the commit point) and only then lets it run. Both lock the
 * process for their duration, like a migration.
 */
@ApplicationScoped
public class Checkpointer {
    private static final Logger LOG = Logger.getLogger(Checkpointer.class);

    private final CheckpointStore store;
    private final ProcessStore processes;
    private final ProcessLocks locks;
    private final NodeStore nodes;
    private final AgentImages images;
    private final InstantSource clock;
    private final DriverPresence presence;
    private final FsOperations tree;
    private final CheckpointCopies copies;
    private final SecureRandom random = new SecureRandom();
    /** The gpids a thread of this replica checkpoints or restarts right now (the recovery leaves those alone). */
    private final Set<Integer> busy = ConcurrentHashMap.newKeySet();

    public Checkpointer(CheckpointStore store, ProcessStore processes, ProcessLocks locks, NodeStore nodes, AgentImages images,
            InstantSource clock, DriverPresence presence, FsOperations tree, CheckpointCopies copies) {
        this.tree = tree;
        this.copies = copies;
        this.clock = clock;
        this.presence = presence;
        this.store = store;
        this.processes = processes;
        this.locks = locks;
        this.nodes = nodes;
        this.images = images;
    }

    public CheckpointInfo create(int gpid, boolean kill) {
        ProcessInfo process = processes.get(gpid);
        if (process.state() != ProcessState.RUNNING) {
            throw UnumException.invalidState("process " + gpid + " is " + process.state() + "; only a RUNNING process can be checkpointed");
        }
        if (!process.capabilities().effective().contains(Capability.CHECKPOINTABLE)) {
            throw UnumException.invalidState("process " + gpid + " lacks CHECKPOINTABLE in its effective capabilities; "
                    + "grant it with 'unum caps " + gpid + " -e +CHECKPOINTABLE'");
        }
        NodeInfo node = ready(nodes.get(process.node()), "the process's node");
        String id = newId();
        // Marked before the lock exists, so that the recovery never takes an operation of ours for abandoned.
        boolean marked = busy.add(gpid);
        try {
            Versioned<ProcessInfo> current = lockRunning(gpid, LockHolder.checkpoint(id, presence.self()));
            return dump(node, gpid, id, kill, current);
        } finally {
            if (marked) {
                busy.remove(gpid);
            }
        }
    }

    private CheckpointInfo dump(NodeInfo node, int gpid, String id, boolean kill, Versioned<ProcessInfo> current) {
        DumpProcessResponse dumped;
        try {
            dumped = images.dump(node, gpid, id, !kill);
        } catch (AgentCallException e) {
            if (!e.unreachable()) {
                // Refused: CRIU leaves a tree it could not dump running.
                release(gpid, null, null, null);
                throw refusal("checkpoint of process " + gpid + " failed, it runs on", e);
            }
            return afterInterruptedDump(node, gpid, id, kill, current, e);
        }
        CheckpointInfo checkpoint = new CheckpointInfo(id, gpid, node.name(), dumped.getImageBytes(), dumped.getDumpMillis(),
                kill, clock.instant(), current.value()).withSyncMillis(dumped.getSyncMillis());
        LOG.infof("checkpoint %s of gpid %d on %s: %d bytes, frozen %d ms, synced to disk in %d ms%s", id, gpid, node.name(),
                dumped.getImageBytes(), dumped.getDumpMillis(), dumped.getSyncMillis(), kill ? ", process stopped" : "");
        CheckpointInfo recorded = taken(checkpoint);
        copies.copyLater(node, id); // so that it outlives its node
        return recorded;
    }

    /** Writes the checkpoint and unlocks the process (EXITED when the checkpoint stopped it). */
    private CheckpointInfo taken(CheckpointInfo checkpoint) {
        Instant at = checkpoint.createdAt();
        if (!checkpoint.killed()) {
            release(checkpoint.gpid(), checkpoint, null, null);
        } else {
            unlock(checkpoint.gpid(), checkpoint, p -> p.exited(null, 9, at).withState(ProcessState.EXITED,
                    "stopped by checkpoint " + checkpoint.id()));
        }
        return checkpoint;
    }

    /**
     * The dump call failed in an unknown way (the agent died or did not answer): CRIU, in a
     * session of its own, may have dumped and stopped the process all the same. The node is asked
     * until it answers, so that the record never says RUNNING of a tree that is an image now; if
     * the node is DOWN first, the process is kept LOST into the checkpoint's id, which
     * {@link KeptImageRestarter} settles once the node is back.
     */
    private CheckpointInfo afterInterruptedDump(NodeInfo node, int gpid, String id, boolean kill,
            Versioned<ProcessInfo> current, AgentCallException e) {
        String why = "checkpoint " + id + " of process " + gpid + " was interrupted (" + e.getMessage() + ")";
        for (long wait = 200; ; wait = Math.min(3000, wait * 2)) {
            NodeInfo now = nodes.find(node.name()).orElse(null);
            if (now == null || now.state() == NodeState.DOWN) {
                Instant at = clock.instant();
                CheckpointInfo kept = new CheckpointInfo(id, gpid, node.name(), 0, 0, kill, at, current.value());
                unlock(gpid, kept, p -> p.withState(ProcessState.LOST, KeptImage.reason(why + "; " + node.name()
                        + " went DOWN", node.name(), id)));
                throw UnumException.nodeUnavailable(why + "; node " + node.name() + " is DOWN: the process is LOST until it"
                        + " is back, then it is brought back from what is there");
            }
            DescribeProcessResponse d;
            try {
                d = images.describe(now, gpid);
            } catch (AgentCallException unanswered) {
                d = null;
            }
            if (d != null) {
                boolean imaged = d.getImagesList().contains(id);
                switch (d.getPresence()) {
                    case PRESENCE_RUNNING, PRESENCE_LEFT -> {
                        if (imaged) {
                            LOG.infof("%s, but its image is whole on %s", why, node.name());
                            return taken(new CheckpointInfo(id, gpid, node.name(), 0, 0,
                                    d.getPresence() == Presence.PRESENCE_LEFT, clock.instant(), current.value()));
                        }
                        if (d.getPresence() == Presence.PRESENCE_RUNNING) {
                            release(gpid, null, null, null);
                            throw UnumException.invalidState(why + "; it runs on, no checkpoint was taken");
                        }
                        return gone(gpid, why + "; " + node.name() + " holds it only in images " + d.getImagesList());
                    }
                    case PRESENCE_ENDED -> {
                        ExitStatus status = d.getExitStatus();
                        Instant at = clock.instant();
                        unlock(gpid, null, p -> switch (status.getStatusCase()) {
                            case CODE -> p.exited(status.getCode(), null, at);
                            case SIGNAL -> p.exited(null, status.getSignal(), at);
                            case STATUS_NOT_SET -> p.exited(null, null, at);
                        });
                        throw UnumException.invalidState(why + "; the process ended meanwhile");
                    }
                    case PRESENCE_DUMPING -> {
                        // CRIU still dumps (an agent that restarted waits for it): ask again.
                    }
                    default -> {
                        return gone(gpid, why + "; " + node.name() + " has neither the process nor its image");
                    }
                }
            }
            try {
                Thread.sleep(wait);
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
                throw UnumException.nodeUnavailable(why + "; interrupted while asking " + node.name());
            }
        }
    }

    /** Neither the process nor an image of it is left: recorded LOST with why, never deleted. */
    private CheckpointInfo gone(int gpid, String why) {
        unlock(gpid, null, p -> p.withState(ProcessState.LOST, why));
        throw UnumException.invalidState(why);
    }

    /**
     * Unlocks the process, writing checkpoint (if any) and the record as next makes it, from the
     * record as etcd has it now: while locked, its node may have been declared DOWN (the record
     * turned LOST), and writing only the checkpoint then would leave a plain LOST record that the
     * node's registration ends as unknown. An ended record stays as it is (its exit won the race).
     */
    private void unlock(int gpid, CheckpointInfo checkpoint, UnaryOperator<ProcessInfo> next) {
        for (int attempt = 0; attempt < 5; attempt++) {
            Versioned<ProcessInfo> now = processes.current(gpid).orElse(null);
            if (now == null || now.value().state().isTerminal()) {
                break;
            }
            if (release(gpid, checkpoint, now, next.apply(now.value()))) {
                return;
            }
        }
        release(gpid, checkpoint, null, null);
    }

    public CheckpointInfo get(String id) {
        return store.find(id).orElseThrow(() -> UnumException.notFound("no checkpoint has id '" + id + "'; 'unum checkpoints' lists them"));
    }

    public List<CheckpointInfo> list(Integer gpid) {
        return store.list().stream().filter(c -> gpid == null || c.gpid() == gpid).toList();
    }

    /** Restarts the checkpointed process with its gpid on nodeName (or a READY node). */
    public ProcessInfo restart(String id, String nodeName) {
        CheckpointInfo checkpoint = get(id);
        int gpid = checkpoint.gpid();
        Versioned<ProcessInfo> current = processes.current(gpid).orElse(null);
        if (current != null && !current.value().state().isTerminal() && !KeptImage.lostInto(current.value(), id)) {
            throw UnumException.invalidState("process " + gpid + " is still " + current.value().state() + " on "
                    + current.value().node() + "; a checkpoint restarts only once its process has ended "
                    + "(kill it with 'unum kill -KILL " + gpid + "')");
        }
        NodeInfo stored = nodes.find(checkpoint.node()).orElse(null);
        boolean inTree = checkpoint.treePath() != null;
        NodeInfo target = nodeName == null || nodeName.isBlank() ? pick(stored) : ready(nodes.get(nodeName), "node");
        if (!inTree) {
            if (stored == null) {
                throw UnumException.invalidState("node " + checkpoint.node() + ", which stored checkpoint " + id
                        + ", was removed, and the image has no copy in the cluster file system");
            }
            ready(stored, "the node that stores checkpoint " + id + ",");
        }
        // Marked before the lock exists, so that the recovery never takes an operation of ours for abandoned.
        boolean marked = busy.add(gpid);
        try {
            if (!store.lock(gpid, LockHolder.restart(id, target.name(), presence.self()), current)) {
                throw UnumException.invalidState("process " + gpid + " changed or is busy; retry");
            }
            return restoreAndCommit(checkpoint, current, stored, target);
        } finally {
            if (marked) {
                busy.remove(gpid);
            }
        }
    }

    /**
     * The image onto target: pushed from the node that took it while that one is READY and
     * answers, else read from the cluster file system's copy.
     */
    private void bring(CheckpointInfo checkpoint, NodeInfo stored, NodeInfo target) {
        boolean inTree = checkpoint.treePath() != null;
        if (stored != null && stored.state() == NodeState.READY) {
            try {
                images.push(stored, checkpoint.id(), target, sent -> { });
                return;
            } catch (AgentCallException e) {
                if (!inTree || !e.unreachable()) {
                    throw e;
                }
                LOG.infof("checkpoint %s: %s did not answer (%s); reading the copy in the cluster file system",
                        checkpoint.id(), stored.name(), e.getMessage());
            }
        }
        images.getFromTree(target, checkpoint.id());
    }

    /** stored: the node that took the checkpoint, null once it was removed. */
    private ProcessInfo restoreAndCommit(CheckpointInfo checkpoint, Versioned<ProcessInfo> current, NodeInfo stored,
            NodeInfo target) {
        int gpid = checkpoint.gpid();
        String id = checkpoint.id();
        int localPid;
        boolean copied = stored == null || !target.name().equals(stored.name());
        try {
            if (copied) {
                bring(checkpoint, stored, target);
            }
            localPid = restoreHeld(target, gpid, id);
        } catch (AgentCallException e) {
            discardQuietly(target, gpid);
            release(gpid, null, null, null);
            throw refusal("restart of checkpoint " + id + " on " + target.name() + " failed", e);
        } finally {
            if (copied) {
                images.deleteQuietly(target, id);
            }
        }
        // The commit point: the record says RUNNING on the target, then the held copy may run.
        Instant at = clock.instant();
        ProcessInfo base = current != null ? current.value() : checkpoint.process();
        ProcessInfo running = base.runningOn(target.name(), localPid, at);
        if (!release(gpid, null, current, running)) {
            discardQuietly(target, gpid);
            release(gpid, null, null, null);
            throw new IllegalStateException("the record of process " + gpid + " changed while it was locked");
        }
        letRun(target, gpid, id);
        LOG.infof("restarted gpid %d from checkpoint %s on %s as pid %d", gpid, id, target.name(), localPid);
        return running;
    }

    /**
     * Commits a held copy that is the process's only one, like a restart from its image: a
     * post-copy move whose target died mid-restore after the source had sent it every page (the
     * source holds neither the process nor the image) left the record LOST and this copy, whole,
     * held on the target. True when the record now names it and it was let run.
     */
    public boolean adoptHeldCopy(NodeInfo target, int gpid, String imageId, int localPid) {
        Versioned<ProcessInfo> current = processes.current(gpid).orElse(null);
        if (current == null || current.value().state() != ProcessState.LOST || localPid <= 0) {
            return false;
        }
        boolean marked = busy.add(gpid);
        try {
            if (!store.lock(gpid, LockHolder.restart(imageId, target.name(), presence.self()), current)) {
                return false;
            }
            ProcessInfo running = current.value().runningOn(target.name(), localPid, clock.instant());
            if (!release(gpid, null, current, running)) {
                release(gpid, null, null, null);
                return false;
            }
        } finally {
            if (marked) {
                busy.remove(gpid);
            }
        }
        letRun(target, gpid, imageId);
        LOG.infof("gpid %d: its held copy on %s (image %s) is its only one; committed and let run", gpid, target.name(), imageId);
        return true;
    }

    /** Whether a thread of this replica checkpoints or restarts gpid right now. */
    boolean busy(int gpid) {
        return busy.contains(gpid);
    }

    /**
     * Finishes the checkpoint or restart whose control plane died holding the process's lock, or
     * gave it up unfinished, by the node's account ({@link CheckpointRecovery} calls it): a checkpoint as if
     * its dump call had failed in an unknown way; a restart commits a copy the target holds from
     * the checkpoint's image, otherwise discards what is there and unlocks.
     */
    void recover(int gpid, LockHolder holder) {
        Versioned<ProcessInfo> current = processes.current(gpid).orElse(null);
        if (current == null) {
            release(gpid, null, null, null);
            return;
        }
        if (holder.restart()) {
            recoverRestart(gpid, holder, current);
            return;
        }
        NodeInfo node = nodes.get(current.value().node());
        afterInterruptedDump(node, gpid, holder.id(), true, current, new AgentCallException(node.name(),
                "the control plane taking it (" + holder.replica() + ") stopped or gave up", io.grpc.Status.UNKNOWN));
    }

    private void recoverRestart(int gpid, LockHolder holder, Versioned<ProcessInfo> current) {
        CheckpointInfo checkpoint = store.find(holder.id()).orElse(null);
        NodeInfo target = nodes.find(holder.node()).orElse(null);
        for (long wait = 200; ; wait = Math.min(3000, wait * 2)) {
            if (checkpoint == null || target == null || target.state() == NodeState.DOWN) {
                // A held copy there stays stopped; the registration reconcile discards it (the record does not name it).
                release(gpid, null, null, null);
                return;
            }
            try {
                DescribeProcessResponse d = images.describe(target, gpid);
                boolean ours = holder.id().equals(d.getImageId()) && d.getLocalPid() != 0
                        && (d.getPresence() == Presence.PRESENCE_HELD || d.getPresence() == Presence.PRESENCE_RUNNING);
                if (ours) {
                    ProcessInfo running = current.value().runningOn(target.name(), d.getLocalPid(), clock.instant());
                    if (release(gpid, null, current, running)) {
                        letRun(target, gpid, holder.id());
                        LOG.infof("restart of gpid %d from %s on %s finished by the leader", gpid, holder.id(), target.name());
                        return;
                    }
                }
                discardQuietly(target, gpid);
                release(gpid, null, null, null);
                return;
            } catch (AgentCallException e) {
                LOG.debugf("asking %s about gpid %d: %s", target.name(), gpid, e.getMessage());
            }
            try {
                Thread.sleep(wait);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            target = nodes.find(holder.node()).orElse(null);
        }
    }

    /**
     * Restores held (stopped) and answers its local pid. A call that failed in an unknown way is
     * settled by asking the node: our held copy there counts as restored.
     */
    private int restoreHeld(NodeInfo target, int gpid, String id) {
        try {
            return images.restore(target, gpid, id, null, true).getLocalPid();
        } catch (AgentCallException e) {
            if (!e.unreachable()) {
                throw e;
            }
            DescribeProcessResponse d = images.describe(target, gpid);
            boolean ours = id.equals(d.getImageId()) && d.getLocalPid() != 0
                    && (d.getPresence() == Presence.PRESENCE_HELD || d.getPresence() == Presence.PRESENCE_RUNNING);
            if (!ours) {
                throw e;
            }
            return d.getLocalPid();
        }
    }

    /** After the commit: never undone; retried until the node answers or is DOWN (then its registration releases it). */
    private void letRun(NodeInfo target, int gpid, String id) {
        for (long wait = 200; ; wait = Math.min(3000, wait * 2)) {
            try {
                images.release(target, gpid, id);
                return;
            } catch (AgentCallException e) {
                NodeInfo now = nodes.find(target.name()).orElse(null);
                if (!e.unreachable() || now == null || now.state() == NodeState.DOWN) {
                    LOG.warnf("restart of gpid %d on %s: release not confirmed (%s); the agent's registration settles it",
                            gpid, target.name(), e.getMessage());
                    return;
                }
            }
            try {
                Thread.sleep(wait);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void discardQuietly(NodeInfo node, int gpid) {
        try {
            images.discard(node, gpid);
        } catch (AgentCallException e) {
            // Absent, or unreachable: a held copy stays stopped and the registration reconcile discards it.
            LOG.debugf("discarding gpid %d on %s: %s", gpid, node.name(), e.getMessage());
        }
    }

    public void delete(String id) {
        CheckpointInfo checkpoint = get(id);
        nodes.find(checkpoint.node()).ifPresent(n -> images.deleteQuietly(n, id));
        if (checkpoint.treePath() != null) {
            tree.removeQuietly(checkpoint.treePath());
        }
        store.delete(id);
    }

    private Versioned<ProcessInfo> lockRunning(int gpid, String holder) {
        locks.holder(gpid).ifPresent(h -> {
            throw UnumException.invalidState("process " + gpid + " is busy with " + h + "; retry when it is done");
        });
        Versioned<ProcessInfo> current = processes.current(gpid).orElseThrow(() -> UnumException.invalidState(
                "process " + gpid + " vanished"));
        if (current.value().state() != ProcessState.RUNNING || !store.lock(gpid, holder, current)) {
            throw UnumException.invalidState("process " + gpid + " changed or became busy meanwhile; retry");
        }
        return current;
    }

    private boolean release(int gpid, CheckpointInfo checkpoint, Versioned<ProcessInfo> process, ProcessInfo next) {
        return store.unlock(gpid, checkpoint, process, next);
    }

    /** A READY node for a restart: the one storing the image (no copy needed), else the least loaded. */
    private NodeInfo pick(NodeInfo stored) {
        if (stored != null && stored.state() == NodeState.READY) {
            return stored;
        }
        return nodes.list().stream().filter(n -> n.state() == NodeState.READY)
                .min(Comparator.comparingDouble(n -> (n.load() == null ? NodeLoad.UNKNOWN : n.load()).load1() / Math.max(1, n.cores())))
                .orElseThrow(() -> UnumException.nodeUnavailable("no node is READY"));
    }

    private static NodeInfo ready(NodeInfo node, String what) {
        if (node.state() != NodeState.READY) {
            throw UnumException.invalidState(what + " " + node.name() + " is " + node.state() + "; retry once it is READY");
        }
        return node;
    }

    private static RuntimeException refusal(String what, AgentCallException e) {
        if (e.unreachable()) {
            return UnumException.nodeUnavailable(what + ": node " + e.node() + " did not answer: " + e.getMessage(), e);
        }
        if (e.code() == Status.Code.DATA_LOSS) {
            return UnumException.invalidState(what + ": the image is corrupt (" + e.getMessage() + ")", e);
        }
        return UnumException.invalidState(what + ": " + e.getMessage(), e);
    }

    private String newId() {
        byte[] b = new byte[4];
        random.nextBytes(b);
        return "c-" + HexFormat.of().formatHex(b);
    }
}
