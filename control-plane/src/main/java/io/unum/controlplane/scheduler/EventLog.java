package io.unum.controlplane.scheduler;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.PutOption;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import io.unum.api.model.SchedulerEvent;
import io.unum.controlplane.etcd.Etcd;
import io.unum.controlplane.etcd.JsonCodec;
import io.unum.controlplane.etcd.EtcdTable;
import io.unum.controlplane.etcd.EtcdTables;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * The scheduler's decisions, kept in etcd under {@code /unum/events/} for a few minutes so that
 * every replica can stream every replica's decisions (placements happen on whichever replica
 * serves the spawn, balancing on the leader).
 *
 * <p>Publishing never blocks the decision: events queue here and a writer thread puts them in
 * one transaction every {@value #FLUSH_MILLIS} ms, so a burst of spawns costs a few etcd writes,
 * not one each. Keys carry a lease that is renewed by replacement: a new lease of
 * {@link #RETENTION} every half retention, so an event lives between 5 and 10 minutes and the
 * log needs no collector. A replica that dies loses what it had not flushed yet; the decisions
 * themselves (process records) are not affected.
 */
@Startup
@ApplicationScoped
public class EventLog {
    private static final Logger LOG = Logger.getLogger(EventLog.class);
    static final Duration RETENTION = Duration.ofMinutes(10);
    static final long FLUSH_MILLIS = 100;
    private static final int MAX_QUEUED = 10_000;
    private static final int MAX_PER_TXN = 128;
    /** How many of the kept events a new subscriber is sent first. */
    static final int BACKLOG = 500;

    private final Etcd etcd;
    private final JsonCodec<SchedulerEvent> codec;
    private final InstantSource clock;
    private final String replica = "cp-" + UUID.randomUUID().toString().substring(0, 8);
    private final AtomicLong counter = new AtomicLong();
    private final BlockingQueue<SchedulerEvent> outbox = new ArrayBlockingQueue<>(MAX_QUEUED);
    private final Counter dropped;
    private final ScheduledExecutorService writer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "event-log-writer");
        t.setDaemon(true);
        return t;
    });
    private final EtcdTable<SchedulerEvent> log;
    private long leaseId;
    private Instant leaseGrantedAt = Instant.EPOCH;

    public EventLog(Etcd etcd, EtcdTables tables, ObjectMapper mapper, MeterRegistry metrics, InstantSource clock) {
        this.clock = clock;
        this.etcd = etcd;
        this.codec = new JsonCodec<>(mapper, SchedulerEvent.class);
        this.log = tables.open("events/", codec::encode, codec::decode);
        this.dropped = metrics.counter("unum.scheduler.events.dropped");
    }

    @PostConstruct
    void start() {
        writer.scheduleWithFixedDelay(this::flush, FLUSH_MILLIS, FLUSH_MILLIS, TimeUnit.MILLISECONDS);
    }

    @PreDestroy
    void stop() {
        writer.shutdown();
        try {
            writer.awaitTermination(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        flush();
    }

    /** This replica's name in the events it publishes. */
    public String replica() {
        return replica;
    }

    /** Records a decision; returns the event as it will be stored. */
    public SchedulerEvent publish(SchedulerEvent.Type type, Integer gpid, String fromNode, String toNode, String policy,
            String reason) {
        Instant at = clock.instant();
        String id = String.format("%013d-%s-%06d", at.toEpochMilli(), replica, counter.incrementAndGet() % 1_000_000);
        SchedulerEvent event = new SchedulerEvent(id, at, type, replica, gpid, fromNode, toNode, policy, reason);
        if (!outbox.offer(event)) {
            dropped.increment();
        }
        return event;
    }

    /** The newest events still kept, oldest first. */
    public List<SchedulerEvent> recent() {
        List<SchedulerEvent> all = new ArrayList<>(log.values());
        all.sort(Comparator.comparing(SchedulerEvent::id));
        return all.size() <= BACKLOG ? all : all.subList(all.size() - BACKLOG, all.size());
    }

    /** Told about every event any replica stored, as the etcd watch delivers it. */
    public void addListener(Consumer<SchedulerEvent> listener) {
        log.addListener((key, oldValue, newValue) -> {
            if (newValue != null && oldValue == null) {
                listener.accept(newValue);
            }
        });
    }

    private void flush() {
        try {
            while (!outbox.isEmpty()) {
                List<SchedulerEvent> batch = new ArrayList<>();
                outbox.drainTo(batch, MAX_PER_TXN);
                write(batch);
            }
        } catch (Throwable t) {
            // The batch is lost, not retried: a stale decision log is worth less than a writer that keeps up.
            LOG.warnf("cannot store scheduler events: %s", t.getMessage());
        }
    }

    private void write(List<SchedulerEvent> batch) {
        PutOption withLease = PutOption.builder().withLeaseId(lease()).build();
        Op[] puts = batch.stream()
                .map(e -> Op.put(Etcd.bytes(log.key(e.id())), ByteSequence.from(codec.encode(e)), withLease))
                .toArray(Op[]::new);
        etcd.await(etcd.kv().txn().Then(puts).commit());
    }

    private long lease() {
        Instant now = clock.instant();
        if (leaseId == 0 || leaseGrantedAt.plus(RETENTION.dividedBy(2)).isBefore(now)) {
            leaseId = etcd.await(etcd.client().getLeaseClient().grant(RETENTION.toSeconds())).getID();
            leaseGrantedAt = now;
        }
        return leaseId;
    }
}
