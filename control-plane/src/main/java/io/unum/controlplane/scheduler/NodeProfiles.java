package io.unum.controlplane.scheduler;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.etcd.jetcd.ByteSequence;
import io.quarkus.runtime.Startup;
import io.unum.api.model.NodeProfile;
import io.unum.controlplane.error.UnumException;
import io.unum.controlplane.etcd.Etcd;
import io.unum.controlplane.etcd.JsonCodec;
import io.unum.controlplane.etcd.WatchedPrefix;
import io.unum.controlplane.etcd.WatchedPrefix.Versioned;
import io.unum.controlplane.node.NodeStore;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
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

    private final Etcd etcd;
    private final NodeStore nodes;
    private final JsonCodec<NodeProfile> codec;
    private final String prefix;
    private WatchedPrefix<NodeProfile> profiles;

    public NodeProfiles(Etcd etcd, NodeStore nodes, ObjectMapper mapper) {
        this.etcd = etcd;
        this.nodes = nodes;
        this.codec = new JsonCodec<>(mapper, NodeProfile.class);
        this.prefix = etcd.key("scheduler/nodes/");
    }

    @PostConstruct
    void start() {
        profiles = new WatchedPrefix<>(etcd, prefix, codec::decode);
        profiles.start();
    }

    @PreDestroy
    void stop() {
        profiles.close();
    }

    public Optional<NodeProfile> find(String node) {
        return profiles.get(prefix + node).map(Versioned::value);
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
        String key = prefix + profile.node();
        if (find(profile.node()).filter(profile::equals).isPresent()) {
            return;
        }
        long revision = etcd.await(etcd.kv().put(Etcd.bytes(key), ByteSequence.from(codec.encode(profile))))
                .getHeader().getRevision();
        profiles.applyLocal(key, profile, revision);
    }
}
