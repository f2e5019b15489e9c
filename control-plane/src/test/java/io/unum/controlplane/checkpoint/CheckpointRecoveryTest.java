package io.unum.controlplane.checkpoint;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unum.controlplane.leader.LeaderState;
import io.unum.controlplane.migration.DriverPresence;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Who finishes a checkpoint or restart that holds a process's lock. */
class CheckpointRecoveryTest {
    private boolean leader;
    private final Set<String> alive = Set.of("self", "other");

    private final CheckpointRecovery recovery = new CheckpointRecovery(null, null, new DriverPresence() {
        @Override
        public String self() {
            return "self";
        }

        @Override
        public boolean present(String replica) {
            return alive.contains(replica);
        }
    }, new LeaderState() {
        @Override
        public boolean isLeader() {
            return leader;
        }

        @Override
        public long term() {
            return 1;
        }
    });

    private static LockHolder checkpointBy(String replica) {
        return LockHolder.parse(LockHolder.checkpoint("c-1a2b3c4d", replica)).orElseThrow();
    }

    /** Seed 4423105513009956616: the checkpoint's last write met etcd down, its replica lived on and was not the leader. */
    @Test
    void aLockOfThisReplicaThatNoThreadWorksOnIsFinishedHereLeaderOrNot() {
        leader = false;
        assertTrue(recovery.finishesHere(checkpointBy("self"), false));
        leader = true;
        assertTrue(recovery.finishesHere(checkpointBy("self"), false));
    }

    @Test
    void aLockOfThisReplicaThatAThreadWorksOnIsLeftToIt() {
        leader = true;
        assertFalse(recovery.finishesHere(checkpointBy("self"), true));
    }

    @Test
    void anotherReplicasLockIsFinishedOnlyByTheLeaderAndOnlyOnceThatReplicaIsGone() {
        leader = true;
        assertFalse(recovery.finishesHere(checkpointBy("other"), false), "alive: it may still be at work");
        assertTrue(recovery.finishesHere(checkpointBy("gone"), false));
        leader = false;
        assertFalse(recovery.finishesHere(checkpointBy("gone"), false), "the leader's to finish");
    }
}
