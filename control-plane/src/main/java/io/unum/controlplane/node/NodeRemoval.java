package io.unum.controlplane.node;

import io.unum.api.model.AuditAction;
import io.unum.controlplane.audit.AuditLog;
import io.unum.controlplane.error.UnumException;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * An admin takes a machine out of the cluster for good (kubectl delete node): refused while any
 * process is still there; then audited, its agent's certificate revoked, its record deleted. Its
 * agent can come back only by joining again with a join token.
 */
@ApplicationScoped
public class NodeRemoval {
    private final NodeStore nodes;
    private final NodeRemovalGuard guard;
    private final CertificateRevocations revocations;
    private final AuditLog audit;

    public NodeRemoval(NodeStore nodes, NodeRemovalGuard guard, CertificateRevocations revocations, AuditLog audit) {
        this.nodes = nodes;
        this.guard = guard;
        this.revocations = revocations;
        this.audit = audit;
    }

    public void remove(String name) {
        nodes.get(name);
        guard.checkRemovable(name);
        audit.record(AuditAction.NODE_REMOVE, null, name, null, null, null, "its agent's certificate is revoked");
        revocations.revokeNode(name, "node " + name + " was removed by an admin");
        if (!nodes.delete(name)) {
            throw UnumException.invalidState("node " + name + " changed while it was being removed; try again");
        }
    }
}
