package io.unum.controlplane.node;

import io.unum.api.grpc.ExitStatus;
import io.unum.api.grpc.LocalProcess;
import io.unum.controlplane.etcd.EtcdTable.Alongside;
import java.util.List;

/**
 * What membership tells the process table about a node's processes (the process package keeps
 * the table and implements this; node does not depend on it).
 */
public interface NodeProcesses {
    /**
     * An agent reports that a process ended; reason says why when the agent ended it itself
     * (empty otherwise). Idempotent.
     */
    void exited(String node, int gpid, ExitStatus status, String reason);

    /**
     * The writes that turn the node's live processes LOST, to go in the transaction that declares
     * it DOWN, so that no reader sees the node DOWN with some of its processes still RUNNING (or
     * some LOST and others not). Bounded by etcd's operations per transaction: {@link #nodeLost}
     * finishes what did not fit.
     */
    Alongside lostWithNode(String node);

    /** The node was declared DOWN: every process it ran is LOST until it comes back. Idempotent. */
    void nodeLost(String node);

    /**
     * A node (re-)registered with the processes it supervises; returns the gpids it must stop and
     * forget.
     */
    List<Integer> reconcile(String node, List<LocalProcess> reported);
}
