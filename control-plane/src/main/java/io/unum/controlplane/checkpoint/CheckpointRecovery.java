package io.unum.controlplane.checkpoint;

import io.quarkus.scheduler.Scheduled;
import io.unum.controlplane.leader.LeaderState;
import io.unum.controlplane.migration.DriverPresence;
import io.unum.controlplane.process.ProcessLocks;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * Finishes the checkpoints and restarts that hold a process's lock with nobody working on them:
 * on the leader, those whose control plane died (a dead replica's presence key is gone within
 * seconds); on every replica, its own that no thread of it works on any more (its last write met
 * etcd down, say, and the request gave up with a 503 while the replica lived on, so no leader
 * would ever take it over). Without it the process stayed locked for ever: not signalable, not
 * migratable, and — a checkpoint's dump having stopped it — recorded RUNNING while only an image
 * of it existed (the chaos test's seed 4423105513009956616).
 */
@ApplicationScoped
public class CheckpointRecovery {
    private static final Logger LOG = Logger.getLogger(CheckpointRecovery.class);

    private final ProcessLocks locks;
    private final Checkpointer checkpointer;
    private final DriverPresence presence;
    private final LeaderState leadership;

    public CheckpointRecovery(ProcessLocks locks, Checkpointer checkpointer, DriverPresence presence, LeaderState leadership) {
        this.locks = locks;
        this.checkpointer = checkpointer;
        this.presence = presence;
        this.leadership = leadership;
    }

    @Scheduled(every = "1s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void run() {
        for (Map.Entry<Integer, String> lock : locks.all().entrySet()) {
            int gpid = lock.getKey();
            Optional<LockHolder> holder = LockHolder.parse(lock.getValue());
            if (holder.isEmpty() || !finishesHere(holder.get(), checkpointer.busy(gpid))) {
                continue;
            }
            // Read after busy: an operation of ours that just ended dropped its lock from this copy
            // before it stopped being busy, so a lock seen before it ended is not finished again.
            if (!locks.holder(gpid).filter(lock.getValue()::equals).isPresent()) {
                continue;
            }
            LOG.infof("gpid %d is locked by '%s', %s; finishing it", gpid, lock.getValue(),
                    ours(holder.get()) ? "which no thread of this replica works on any more" : "whose control plane is gone");
            try {
                checkpointer.recover(gpid, holder.get());
            } catch (RuntimeException e) {
                // The recovery's outcome is told by the records; a refusal here is how it says "not taken".
                LOG.infof("gpid %d: %s", gpid, e.getMessage());
            }
        }
    }

    /**
     * Whether this replica finishes the operation holding a lock: its own once no thread of it
     * (busyHere) works on it, leader or not; another replica's only on the leader, and only once
     * that replica is gone (alive, it may still be at work).
     */
    boolean finishesHere(LockHolder holder, boolean busyHere) {
        if (ours(holder)) {
            return !busyHere;
        }
        return leadership.isLeader() && !presence.present(holder.replica());
    }

    private boolean ours(LockHolder holder) {
        return holder.replica().equals(presence.self());
    }
}
