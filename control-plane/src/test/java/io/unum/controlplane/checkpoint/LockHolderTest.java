package io.unum.controlplane.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The leader reads back what a checkpoint or restart wrote into a lock, and leaves a migration's alone. */
class LockHolderTest {
    @Test
    void checkpointAndRestartHoldersReadBack() {
        assertEquals(Optional.of(new LockHolder(false, "c-1a2b3c4d", null, "r-9f")),
                LockHolder.parse(LockHolder.checkpoint("c-1a2b3c4d", "r-9f")));
        assertEquals(Optional.of(new LockHolder(true, "c-1a2b3c4d", "node-2", "r-9f")),
                LockHolder.parse(LockHolder.restart("c-1a2b3c4d", "node-2", "r-9f")));
    }

    @Test
    void aMigrationsLockIsNotOurs() {
        assertEquals(Optional.empty(), LockHolder.parse("migration m-1a2b3c4d"));
        assertEquals(Optional.empty(), LockHolder.parse("checkpoint c-1a2b3c4d"));
    }
}
