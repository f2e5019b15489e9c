package io.unum.controlplane.leader;

/** Whether this replica leads, as controllers that act on the leader only ask it. */
public interface LeaderState {
    boolean isLeader();

    /** Increases every time this replica becomes leader, so a controller can tell a new term. */
    long term();
}
