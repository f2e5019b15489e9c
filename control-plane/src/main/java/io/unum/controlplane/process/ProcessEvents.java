package io.unum.controlplane.process;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.subscription.BackPressureStrategy;
import io.smallrye.mutiny.subscription.MultiEmitter;
import io.unum.api.model.ProcessEvent;
import io.unum.api.model.ProcessInfo;
import io.unum.api.model.ProcessState;
import io.unum.controlplane.node.NodeStore;
import io.unum.controlplane.node.NodeUsage;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.InstantSource;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jboss.logging.Logger;

/**
 * The process table as a stream, for the web UI: each subscriber gets a snapshot, then every
 * record the etcd watch reports changed, and once a second a tick with the usage figures that
 * changed since its last one. One store listener and one ticker serve every subscriber.
 *
 * <p>A subscriber that cannot keep up ({@value #BUFFER} events behind) is cut off with an error
 * rather than buffered without bound; its client reconnects and starts again from a snapshot.
 * A subscriber leaves the list when its stream terminates (completion, error, or cancellation
 * when the client goes away).
 */
@ApplicationScoped
public class ProcessEvents {
    private static final Logger LOG = Logger.getLogger(ProcessEvents.class);
    static final int BUFFER = 1024;

    private final ProcessStore processes;
    private final NodeStore nodes;
    private final MeterRegistry metrics;
    private final InstantSource clock;
    private final List<Feed> feeds = new CopyOnWriteArrayList<>();
    /** Usage as of the last tick; attached to changed records between ticks. */
    private volatile Map<Integer, NodeUsage.Usage> lastUsage = Map.of();

    public ProcessEvents(ProcessStore processes, NodeStore nodes, MeterRegistry metrics, InstantSource clock) {
        this.clock = clock;
        this.processes = processes;
        this.nodes = nodes;
        this.metrics = metrics;
    }

    @PostConstruct
    void start() {
        processes.addListener(this::changed);
        metrics.gaugeCollectionSize("unum.events.subscribers", Tags.of("stream", "processes"), feeds);
    }

    /** A snapshot of every process, then changes, until the subscriber cancels. */
    public Multi<ProcessEvent> stream() {
        return Multi.createFrom().<ProcessEvent>emitter(emitter -> {
            Feed feed = new Feed(emitter);
            emitter.onTermination(() -> feeds.remove(feed));
            feed.open();
        }, BackPressureStrategy.ERROR).onOverflow().buffer(BUFFER);
    }

    int subscribers() {
        return feeds.size();
    }

    @Scheduled(every = "1s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void tick() {
        try {
            if (feeds.isEmpty()) {
                return;
            }
            Map<Integer, NodeUsage.Usage> usage = nodes.processUsage();
            lastUsage = usage;
            Instant at = clock.instant();
            for (Feed feed : feeds) {
                feed.tick(at, usage);
            }
        } catch (Throwable t) {
            LOG.warnf("process event tick failed: %s", t.getMessage());
        }
    }

    private void changed(String key, ProcessInfo oldValue, ProcessInfo newValue) {
        if (feeds.isEmpty()) {
            return;
        }
        Instant at = clock.instant();
        // The old value may be gone already when this replica deleted the record itself.
        ProcessEvent event = newValue != null
                ? ProcessEvent.upsert(at, withUsage(newValue, lastUsage))
                : ProcessEvent.remove(at, Integer.parseInt(key.substring(key.lastIndexOf('/') + 1)));
        for (Feed feed : feeds) {
            feed.send(event);
        }
    }

    private static ProcessInfo withUsage(ProcessInfo p, Map<Integer, NodeUsage.Usage> usage) {
        NodeUsage.Usage u = p.state() == ProcessState.RUNNING ? usage.get(p.gpid()) : null;
        return u == null ? p : p.withUsage(u.cpuPercent(), u.rssBytes());
    }

    /** One subscriber. Synchronized so that its snapshot goes out before any change. */
    private final class Feed {
        private final MultiEmitter<? super ProcessEvent> emitter;
        private Map<Integer, NodeUsage.Usage> sentUsage = Map.of();

        Feed(MultiEmitter<? super ProcessEvent> emitter) {
            this.emitter = emitter;
        }

        synchronized void open() {
            feeds.add(this);
            if (emitter.isCancelled()) {
                feeds.remove(this);
                return;
            }
            // Listed after joining the feeds: a change made meanwhile is in the list, or comes next.
            Map<Integer, NodeUsage.Usage> usage = nodes.processUsage();
            List<ProcessInfo> all = processes.list().stream().map(p -> withUsage(p, usage)).toList();
            sentUsage = usage;
            emitter.emit(ProcessEvent.snapshot(clock.instant(), all));
        }

        synchronized void send(ProcessEvent event) {
            emitter.emit(event);
        }

        synchronized void tick(Instant at, Map<Integer, NodeUsage.Usage> usage) {
            Map<Integer, ProcessEvent.Usage> changed = new HashMap<>();
            usage.forEach((gpid, u) -> {
                if (!u.equals(sentUsage.get(gpid))) {
                    changed.put(gpid, new ProcessEvent.Usage(u.cpuPercent(), u.rssBytes()));
                }
            });
            sentUsage = usage;
            emitter.emit(ProcessEvent.tick(at, changed));
        }
    }
}
