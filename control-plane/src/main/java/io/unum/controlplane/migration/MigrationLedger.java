package io.unum.controlplane.migration;

import io.unum.api.model.CheckpointInfo;
import io.unum.api.model.MigrationInfo;
import io.unum.api.model.ProcessInfo;
import java.time.Instant;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.UnaryOperator;

/**
 * The writes that settle a migration, each one etcd transaction with the process record and its
 * lock ({@link MigrationStore}), so that a crash between two of them leaves a state the next
 * driver can take up.
 */
public interface MigrationLedger {
    Optional<MigrationInfo> find(String id);

    /** A step of the migration (not its end). */
    MigrationInfo update(String id, UnaryOperator<MigrationInfo> change);

    /**
     * The commit point: the migration becomes RELEASING and the process record names the target
     * with its new local pid, in one transaction; the process stays locked. False when the process
     * record is gone.
     */
    boolean commit(String id, int localPid, Instant at);

    /**
     * Ends the migration (with end's state and reason) and unlocks the process in one
     * transaction, with the process record that process makes of the current one (null: it stays
     * as it is) and, when kept is not null, the checkpoint record naming the image kept for a
     * restart. Retried while something else writes the records meanwhile.
     */
    MigrationInfo end(MigrationInfo end, BiFunction<ProcessInfo, Instant, ProcessInfo> process, CheckpointInfo kept);
}
