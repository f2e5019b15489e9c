package io.unum.api.model;

/** Where a segment is in its life. */
public enum ShmState {
    /** In use or waiting to be attached. */
    ACTIVE,
    /** Removed (IPC_RMID, shm_unlink, `unum ipcrm`): destroyed when its last process detaches. */
    REMOVED,
    /** Pages were lost with a node: touching them fails with a clear error instead of stale data. */
    DEGRADED
}
