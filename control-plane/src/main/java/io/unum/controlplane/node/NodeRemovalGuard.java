package io.unum.controlplane.node;

/**
 * What must hold before a node may be removed, decided where the processes are known (the
 * process table depends on nodes, not the other way round). Throws a 409 UnumException if not.
 */
public interface NodeRemovalGuard {
    void checkRemovable(String node);
}
