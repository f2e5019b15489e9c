package io.unum.api.model;

/**
 * Life of a migration record. The target restores the process held (stopped, fenced); the switch
 * of the process record to the target and RELEASING are one etcd transaction: the commit point.
 * Every failure before it resumes the process at the source (ROLLED_BACK) once no held copy can
 * run; after it the migration only goes forward (the held copy is released), so a process is
 * never recorded on both nodes and never runs on two.
 *
 * <pre>
 * PREPARING ─► DUMPING ─► TRANSFERRING ─► RESTORING ─► RELEASING ─► DONE
 *      └──────────┴────────────┴──────────────┴──────► ROLLED_BACK | FAILED
 * </pre>
 */
public enum MigrationState {
    /** Record and process lock written; nothing done to the process yet. */
    PREPARING,
    /** CRIU freezes and dumps the process on the source. */
    DUMPING,
    /** The image streams from the source agent to the target agent. */
    TRANSFERRING,
    /** CRIU restores the process on the target. */
    RESTORING,
    /**
     * Committed: the process record names the target, where the restored copy waits held; the
     * target is told to release it (retried until it answers). Never rolled back.
     */
    RELEASING,
    /** The process runs on the target; its record says so. Terminal. */
    DONE,
    /** Something failed; the process runs on at the source (reason says what failed). Terminal. */
    ROLLED_BACK,
    /** Something failed and the process could not be resumed either; reason says where it is. Terminal. */
    FAILED;

    public boolean isTerminal() {
        return this == DONE || this == ROLLED_BACK || this == FAILED;
    }
}
