package io.unum.controlplane.events;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.subscription.BackPressureStrategy;
import io.smallrye.mutiny.subscription.MultiEmitter;
import io.unum.api.model.SchedulerEvent;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The decision log as a stream: the events still kept, then (when following) each new one as the
 * etcd watch delivers it. One log listener serves every subscriber; a subscriber {@value #BUFFER}
 * events behind is cut off, and one whose stream ends leaves the list.
 */
@ApplicationScoped
public class SchedulerEvents {
    static final int BUFFER = 1024;

    private final EventLog log;
    private final MeterRegistry metrics;
    private final List<Feed> feeds = new CopyOnWriteArrayList<>();

    public SchedulerEvents(EventLog log, MeterRegistry metrics) {
        this.log = log;
        this.metrics = metrics;
    }

    @PostConstruct
    void start() {
        log.addListener(this::stored);
        metrics.gaugeCollectionSize("unum.events.subscribers", Tags.of("stream", "scheduler"), feeds);
    }

    /** The kept events, oldest first; then, with follow, new ones until the subscriber cancels. */
    public Multi<SchedulerEvent> stream(boolean follow) {
        if (!follow) {
            return Multi.createFrom().iterable(log.recent());
        }
        return Multi.createFrom().<SchedulerEvent>emitter(emitter -> {
            Feed feed = new Feed(emitter);
            emitter.onTermination(() -> feeds.remove(feed));
            feed.open();
        }, BackPressureStrategy.ERROR).onOverflow().buffer(BUFFER);
    }

    private void stored(SchedulerEvent event) {
        for (Feed feed : feeds) {
            feed.send(event);
        }
    }

    /** One subscriber. Synchronized so that its backlog goes out before any new event. */
    private final class Feed {
        private final MultiEmitter<? super SchedulerEvent> emitter;
        /** What the backlog held: the watch may deliver those again right after joining. */
        private Set<String> sentInBacklog = Set.of();

        Feed(MultiEmitter<? super SchedulerEvent> emitter) {
            this.emitter = emitter;
        }

        synchronized void open() {
            feeds.add(this);
            if (emitter.isCancelled()) {
                feeds.remove(this);
                return;
            }
            List<SchedulerEvent> backlog = log.recent();
            Set<String> ids = new HashSet<>();
            for (SchedulerEvent e : backlog) {
                ids.add(e.id());
                emitter.emit(e);
            }
            sentInBacklog = ids;
        }

        synchronized void send(SchedulerEvent event) {
            if (!sentInBacklog.contains(event.id())) {
                emitter.emit(event);
            }
        }
    }
}
