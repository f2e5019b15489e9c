package io.unum.controlplane.node;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.subscription.BackPressureStrategy;
import io.smallrye.mutiny.subscription.MultiEmitter;
import io.unum.api.model.NodeEvent;
import io.unum.api.model.NodeInfo;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The node records as a stream, for the web UI: a snapshot, then every node record the etcd
 * watch reports changed (each heartbeat changes its node's load). One store listener serves
 * every subscriber; a subscriber {@value #BUFFER} events behind is cut off (its client
 * reconnects and gets a new snapshot), and one whose stream ends leaves the list.
 */
@ApplicationScoped
public class NodeEvents {
    static final int BUFFER = 256;

    private final NodeStore nodes;
    private final MeterRegistry metrics;
    private final InstantSource clock;
    private final List<Feed> feeds = new CopyOnWriteArrayList<>();

    public NodeEvents(NodeStore nodes, MeterRegistry metrics, InstantSource clock) {
        this.clock = clock;
        this.nodes = nodes;
        this.metrics = metrics;
    }

    @PostConstruct
    void start() {
        nodes.addListener(this::changed);
        metrics.gaugeCollectionSize("unum.events.subscribers", Tags.of("stream", "nodes"), feeds);
    }

    /** A snapshot of every node, then changes, until the subscriber cancels. */
    public Multi<NodeEvent> stream() {
        return Multi.createFrom().<NodeEvent>emitter(emitter -> {
            Feed feed = new Feed(emitter);
            emitter.onTermination(() -> feeds.remove(feed));
            feed.open();
        }, BackPressureStrategy.ERROR).onOverflow().buffer(BUFFER);
    }

    private void changed(String key, NodeInfo oldValue, NodeInfo newValue) {
        if (feeds.isEmpty()) {
            return;
        }
        NodeEvent event = newValue != null
                ? NodeEvent.upsert(clock.instant(), newValue)
                : NodeEvent.remove(clock.instant(), key.substring(key.lastIndexOf('/') + 1));
        for (Feed feed : feeds) {
            feed.send(event);
        }
    }

    /** One subscriber. Synchronized so that its snapshot goes out before any change. */
    private final class Feed {
        private final MultiEmitter<? super NodeEvent> emitter;

        Feed(MultiEmitter<? super NodeEvent> emitter) {
            this.emitter = emitter;
        }

        synchronized void open() {
            feeds.add(this);
            if (emitter.isCancelled()) {
                feeds.remove(this);
                return;
            }
            emitter.emit(NodeEvent.snapshot(clock.instant(), nodes.list()));
        }

        synchronized void send(NodeEvent event) {
            emitter.emit(event);
        }
    }
}
