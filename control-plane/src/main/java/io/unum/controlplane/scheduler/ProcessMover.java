package io.unum.controlplane.scheduler;

/**
 * Moves a running process to another node (live migration). The balancer decides, this carries
 * it out; the implementation lives with migration.
 */
public interface ProcessMover {
    /**
     * Moves the process and returns once it runs on {@code targetNode}.
     *
     * @param reason why the balancer moves it, for the migration's record
     * @throws io.unum.controlplane.error.UnumException when the move is refused or fails; the
     *     process then still runs where it ran
     */
    void move(int gpid, String targetNode, String reason);
}
