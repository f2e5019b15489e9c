package io.unum.controlplane.node;

import io.unum.api.grpc.ExitStatus;
import io.unum.api.grpc.LocalProcess;
import java.util.List;

/**
 * What membership tells the process table about a node's processes (the process package keeps
 * the table and implements this; node does not depend on it).
 */
public interface NodeProcesses {
    /** An agent reports that a process ended. Idempotent. */
    void exited(String node, int gpid, ExitStatus status);

    /** The node was declared DOWN: every process it ran is LOST until it comes back. */
    void nodeLost(String node);

    /**
     * A node (re-)registered with the processes it supervises; returns the gpids it must stop and
     * forget.
     */
    List<Integer> reconcile(String node, List<LocalProcess> reported);
}
