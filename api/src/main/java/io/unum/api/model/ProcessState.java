package io.unum.api.model;

/**
 * Life of a process record.
 *
 * <pre>
 * PENDING ──► RUNNING ──► EXITED
 *    │           │  ▲
 *    ▼           ▼  │ (its node came back and it still runs)
 *  FAILED       LOST ──► EXITED (its node came back and it had ended)
 * </pre>
 */
public enum ProcessState {
    /** Record written, the agent has not confirmed the start yet. Next: RUNNING, FAILED, EXITED. */
    PENDING,
    /** Running on its node. Next: EXITED, LOST. */
    RUNNING,
    /** Ended with an exit code or a signal. Terminal. */
    EXITED,
    /** Could not be started; {@code reason} says why. Terminal. */
    FAILED,
    /** Its node was declared DOWN. Next: RUNNING or EXITED when the node comes back. */
    LOST;

    public boolean isTerminal() {
        return this == EXITED || this == FAILED;
    }
}
