package io.unum.controlplane.scheduler;

import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Multi;
import io.unum.api.model.SchedulerEvent;
import io.unum.controlplane.feed.SnapshotFeed;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The decision log as a stream: the events still kept, then (when following) each new one as the
 * etcd watch delivers it. One log listener serves every subscriber.
 */
@ApplicationScoped
public class SchedulerEvents {
    static final int BUFFER = 1024;

    private final EventLog log;
    private final SnapshotFeed<SchedulerEvent, SchedulerEvent> feed;

    public SchedulerEvents(EventLog log, MeterRegistry metrics) {
        this.log = log;
        this.feed = new SnapshotFeed<>(metrics, "scheduler", BUFFER);
    }

    @PostConstruct
    void start() {
        log.addListener(feed::publish);
    }

    /** The kept events, oldest first; then, with follow, new ones until the subscriber cancels. */
    public Multi<SchedulerEvent> stream(boolean follow) {
        if (!follow) {
            return Multi.createFrom().iterable(log.recent());
        }
        return feed.stream(Subscriber::new);
    }

    /** One subscriber: the backlog, then each new event the backlog did not already hold. */
    private final class Subscriber implements SnapshotFeed.View<SchedulerEvent, SchedulerEvent> {
        /** What the backlog held: the watch may deliver those again right after joining. */
        private Set<String> sentInBacklog = Set.of();

        @Override
        public List<SchedulerEvent> snapshot() {
            List<SchedulerEvent> backlog = log.recent();
            Set<String> ids = new HashSet<>();
            backlog.forEach(e -> ids.add(e.id()));
            sentInBacklog = ids;
            return backlog;
        }

        @Override
        public SchedulerEvent next(SchedulerEvent event) {
            return sentInBacklog.contains(event.id()) ? null : event;
        }
    }
}
