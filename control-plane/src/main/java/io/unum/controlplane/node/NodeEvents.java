package io.unum.controlplane.node;

import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Multi;
import io.unum.api.model.NodeEvent;
import io.unum.api.model.NodeInfo;
import io.unum.controlplane.feed.SnapshotFeed;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.InstantSource;
import java.util.List;

/**
 * The node records as a stream, for the web UI: a snapshot, then every node record the etcd
 * watch reports changed (each heartbeat changes its node's load). One store listener serves
 * every subscriber.
 */
@ApplicationScoped
public class NodeEvents {
    static final int BUFFER = 256;

    private final NodeStore nodes;
    private final InstantSource clock;
    private final SnapshotFeed<NodeEvent, NodeEvent> feed;

    public NodeEvents(NodeStore nodes, MeterRegistry metrics, InstantSource clock) {
        this.nodes = nodes;
        this.clock = clock;
        this.feed = new SnapshotFeed<>(metrics, "nodes", BUFFER);
    }

    @PostConstruct
    void start() {
        nodes.addListener(this::changed);
    }

    /** A snapshot of every node, then changes, until the subscriber cancels. */
    public Multi<NodeEvent> stream() {
        return feed.stream(() -> SnapshotFeed.View.passing(
                () -> List.of(NodeEvent.snapshot(clock.instant(), nodes.list()))));
    }

    private void changed(String name, NodeInfo oldValue, NodeInfo newValue) {
        if (feed.idle()) {
            return;
        }
        feed.publish(newValue != null
                ? NodeEvent.upsert(clock.instant(), newValue)
                : NodeEvent.remove(clock.instant(), name));
    }
}
