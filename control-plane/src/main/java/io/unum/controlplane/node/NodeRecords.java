package io.unum.controlplane.node;

import io.unum.api.model.NodeInfo;
import io.unum.controlplane.etcd.EtcdTable.Alongside;
import io.unum.controlplane.etcd.EtcdTable.Versioned;
import java.util.Map;

/** What failure detection needs of the node records; {@link NodeStore} keeps them in etcd. */
public interface NodeRecords {
    /** Every node record with the revision this replica last saw, by name. */
    Map<String, Versioned<NodeInfo>> versionedNodes();

    /**
     * Marks the node DOWN if its record has not changed since {@code seenRevision} and the
     * guards of {@code alongside} hold, writing its keys in the same transaction.
     */
    boolean markDown(String name, long seenRevision, Alongside alongside);
}
