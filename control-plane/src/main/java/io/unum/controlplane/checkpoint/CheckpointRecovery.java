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
 * On the leader: finishes the checkpoints and restarts whose control plane died while it held
 * the process's lock (a dead replica's presence key is gone within seconds). Without it the
 * process stayed locked for ever: not signalable, not migratable, and — a checkpoint's dump having
 * stopped it — recorded RUNNING while only an image of it existed.
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
        if (!leadership.isLeader()) {
            return;
        }
        for (Map.Entry<Integer, String> lock : locks.all().entrySet()) {
            int gpid = lock.getKey();
            Optional<LockHolder> holder = LockHolder.parse(lock.getValue());
            if (holder.isEmpty() || !abandoned(gpid, holder.get())) {
                continue;
            }
            LOG.infof("gpid %d is locked by '%s', whose control plane is gone; finishing it", gpid, lock.getValue());
            try {
                checkpointer.recover(gpid, holder.get());
            } catch (RuntimeException e) {
                // The recovery's outcome is told by the records; a refusal here is how it says "not taken".
                LOG.infof("gpid %d: %s", gpid, e.getMessage());
            }
        }
    }

    private boolean abandoned(int gpid, LockHolder holder) {
        if (holder.replica().equals(presence.self())) {
            return !checkpointer.busy(gpid);
        }
        return !presence.present(holder.replica());
    }
}
