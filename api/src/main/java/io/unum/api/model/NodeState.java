package io.unum.api.model;

/** Membership state of a node agent. */
public enum NodeState {
    /** Registered and heartbeating. Next: DOWN when heartbeats stop for the grace period. */
    READY,
    /** No heartbeat within the grace period; its processes are LOST. Next: READY when it registers again. */
    DOWN
}
