package io.unum.api.model;

/**
 * Life of a migration record. Every step before the switch can fail; the process then runs on
 * at the source (ROLLED_BACK). The switch of the process record to the target and DONE are one
 * etcd transaction, so a process is never recorded on both nodes.
 *
 * <pre>
 * PREPARING ─► DUMPING ─► TRANSFERRING ─► RESTORING ─► DONE
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
