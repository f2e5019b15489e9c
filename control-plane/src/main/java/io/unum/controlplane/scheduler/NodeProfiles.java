package io.unum.controlplane.scheduler;

import io.quarkus.runtime.Startup;
import io.unum.api.model.NodeProfile;
import io.unum.controlplane.error.UnumException;
import io.unum.controlplane.etcd.EtcdTable;
import io.unum.controlplane.etcd.EtcdTables;
import io.unum.controlplane.etcd.EtcdTable.Versioned;
import io.unum.controlplane.node.NodeStore;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Labels and enforced capacities of the nodes ({@code /unum/scheduler/nodes/<name>}), as their
 * agents report them after registering. Kept apart from the node records, which the heartbeats
 * rewrite every two seconds, so that neither writer has to carry the other's fields.
 */
@Startup
@ApplicationScoped
public class NodeProfiles {
    private static final Set<String> ENFORCEMENTS = Set.of("cgroup-v1", "cgroup-v2", "none");

    private final NodeStore nodes;
    private final EtcdTable<NodeProfile> profiles;

    public NodeProfiles(EtcdTables tables, NodeStore nodes) {
        this.nodes = nodes;
        this.profiles = tables.json("scheduler/nodes/", NodeProfile.class);
    }

    public Optional<NodeProfile> find(String node) {
        return profiles.get(node).map(Versioned::value);
    }

    /** Replaces a registered node's profile. */
    public void report(NodeProfile profile) {
        nodes.get(profile.node());
        for (Map.Entry<String, String> label : profile.labels().entrySet()) {
            Labels.check(label.getKey(), label.getValue(), "label");
        }
        if (!(profile.cpuCapacity() >= 0) || profile.memoryCapacityBytes() < 0) {
            throw UnumException.invalidRequest("capacities must not be negative");
        }
        if (!ENFORCEMENTS.contains(profile.enforcement())) {
            throw UnumException.invalidRequest("enforcement must be one of " + ENFORCEMENTS);
        }
        if (find(profile.node()).filter(profile::equals).isPresent()) {
            return;
        }
        profiles.put(profile.node(), profile);
    }
}
