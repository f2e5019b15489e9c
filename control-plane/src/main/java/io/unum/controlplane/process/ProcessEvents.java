package io.unum.controlplane.process;

import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Multi;
import io.unum.api.model.ProcessEvent;
import io.unum.api.model.ProcessInfo;
import io.unum.api.model.ProcessState;
import io.unum.controlplane.feed.SnapshotFeed;
import io.unum.controlplane.node.NodeStore;
import io.unum.controlplane.node.NodeUsage;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * The process table as a stream, for the web UI: each subscriber gets a snapshot, then every
 * record the etcd watch reports changed, and once a second a tick with the usage figures that
 * changed since its last one. One store listener and one ticker serve every subscriber.
 */
@ApplicationScoped
public class ProcessEvents {
    private static final Logger LOG = Logger.getLogger(ProcessEvents.class);
    static final int BUFFER = 1024;

    /** A changed record, or (with no event) the usage figures of a tick. */
    private record Change(ProcessEvent event, Instant at, Map<Integer, NodeUsage.Usage> usage) {
    }

    private final ProcessStore processes;
    private final NodeStore nodes;
    private final InstantSource clock;
    private final SnapshotFeed<Change, ProcessEvent> feed;
    /** Usage as of the last tick; attached to changed records between ticks. */
    private volatile Map<Integer, NodeUsage.Usage> lastUsage = Map.of();

    public ProcessEvents(ProcessStore processes, NodeStore nodes, MeterRegistry metrics, InstantSource clock) {
        this.processes = processes;
        this.nodes = nodes;
        this.clock = clock;
        this.feed = new SnapshotFeed<>(metrics, "processes", BUFFER);
    }

    @PostConstruct
    void start() {
        processes.addListener(this::changed);
    }

    /** A snapshot of every process, then changes, until the subscriber cancels. */
    public Multi<ProcessEvent> stream() {
        return feed.stream(Subscriber::new);
    }

    int subscribers() {
        return feed.subscribers();
    }

    @Scheduled(every = "1s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void tick() {
        try {
            if (feed.idle()) {
                return;
            }
            Map<Integer, NodeUsage.Usage> usage = nodes.processUsage();
            lastUsage = usage;
            feed.publish(new Change(null, clock.instant(), usage));
        } catch (Throwable t) {
            LOG.warnf("process event tick failed: %s", t.getMessage());
        }
    }

    private void changed(String id, ProcessInfo oldValue, ProcessInfo newValue) {
        if (feed.idle()) {
            return;
        }
        Instant at = clock.instant();
        // The old value may be gone already when this replica deleted the record itself.
        feed.publish(new Change(newValue != null
                ? ProcessEvent.upsert(at, withUsage(newValue, lastUsage))
                : ProcessEvent.remove(at, Integer.parseInt(id)), at, null));
    }

    private static ProcessInfo withUsage(ProcessInfo p, Map<Integer, NodeUsage.Usage> usage) {
        NodeUsage.Usage u = p.state() == ProcessState.RUNNING ? usage.get(p.gpid()) : null;
        return u == null ? p : p.withUsage(u.cpuPercent(), u.rssBytes());
    }

    /** One subscriber: remembers the usage it was sent, so that a tick carries only what changed. */
    private final class Subscriber implements SnapshotFeed.View<Change, ProcessEvent> {
        private Map<Integer, NodeUsage.Usage> sentUsage = Map.of();

        @Override
        public List<ProcessEvent> snapshot() {
            Map<Integer, NodeUsage.Usage> usage = nodes.processUsage();
            List<ProcessInfo> all = processes.list().stream().map(p -> withUsage(p, usage)).toList();
            sentUsage = usage;
            return List.of(ProcessEvent.snapshot(clock.instant(), all));
        }

        @Override
        public ProcessEvent next(Change change) {
            if (change.event() != null) {
                return change.event();
            }
            Map<Integer, ProcessEvent.Usage> changed = new HashMap<>();
            change.usage().forEach((gpid, u) -> {
                if (!u.equals(sentUsage.get(gpid))) {
                    changed.put(gpid, new ProcessEvent.Usage(u.cpuPercent(), u.rssBytes()));
                }
            });
            sentUsage = change.usage();
            return ProcessEvent.tick(change.at(), changed);
        }
    }
}
