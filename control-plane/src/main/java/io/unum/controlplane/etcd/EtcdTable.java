package io.unum.controlplane.etcd;

import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.Op;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.LongConsumer;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import org.jboss.logging.Logger;

/**
 * One kind of record in etcd, at {@code <prefix><id>}: the shape every Unum store shares.
 *
 * <p>Reads come from an in-memory copy of every key under the prefix, kept current by an etcd
 * watch (the informer pattern); etcd stays the source of truth: the copy is rebuilt from a fresh
 * range read whenever the watch breaks (compaction, lost connection). Every write this replica
 * makes is applied to the copy at once, so a replica reads its own writes.
 *
 * <p>Changes are compare-and-set on the record's revision with one retry policy for every
 * table: {@link #MAX_ATTEMPTS} attempts, then {@link EtcdConflictException}. Transactions that
 * change several tables together are built from {@link #unchanged}, {@link #absent},
 * {@link #putOp}, {@link #deleteOp}, then reported back with {@link #applied} / {@link #removed}.
 */
public final class EtcdTable<T> implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(EtcdTable.class);

    /** A value with the etcd revision that last modified it. */
    public record Versioned<T>(T value, long modRevision) {
    }

    /**
     * Told about every change the watch delivers (not about local applies), by record id. Listeners
     * run on jetcd's event loop: a listener that waits for an etcd call deadlocks it until the timeout.
     */
    public interface Listener<T> {
        void changed(String id, T oldValue, T newValue);
    }

    /**
     * Keys written in the same transaction as a record, what must still hold of them for the
     * transaction to apply, and how to tell their copies about it.
     */
    public record Alongside(List<Cmp> guards, List<Op> ops, LongConsumer applied) {
        public static final Alongside NONE = new Alongside(List.of(), List.of(), revision -> { });

        public Alongside(List<Op> ops, LongConsumer applied) {
            this(List.of(), ops, applied);
        }
    }

    /** How often a compare-and-set is tried before the change gives up with a conflict. */
    public static final int MAX_ATTEMPTS = 20;

    private final Etcd etcd;
    private final String prefix;
    private final Function<byte[], T> decoder;
    private final Function<T, byte[]> encoder;
    private final Map<String, Versioned<T>> entries = new ConcurrentHashMap<>();
    private final List<Listener<T>> listeners = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService retry = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "watch-retry");
        t.setDaemon(true);
        return t;
    });
    private volatile Watch.Watcher watcher;
    private volatile boolean closed;

    public EtcdTable(Etcd etcd, String path, Function<T, byte[]> encoder, Function<byte[], T> decoder) {
        this.etcd = etcd;
        this.prefix = etcd.key(path);
        this.encoder = encoder;
        this.decoder = decoder;
    }

    public String key(String id) {
        return prefix + id;
    }

    /** Loads the prefix and starts watching; blocks until the first load is done. */
    public void start() {
        resync();
    }

    public void addListener(Listener<T> listener) {
        listeners.add(listener);
    }

    /** The copy's record. */
    public Optional<Versioned<T>> get(String id) {
        return Optional.ofNullable(entries.get(id));
    }

    /** The record as etcd has it now (not the copy), with its revision. */
    public Optional<Versioned<T>> fetch(String id) {
        return etcd.get(key(id)).map(kv -> new Versioned<>(decoder.apply(kv.getValue().getBytes()), kv.getModRevision()));
    }

    /**
     * The copy's record, else etcd's: another replica may have written it an instant ago and the
     * watch has not delivered it yet.
     */
    public Optional<Versioned<T>> getOrFetch(String id) {
        Optional<Versioned<T>> cached = get(id);
        return cached.isPresent() ? cached : fetch(id);
    }

    /** Every record in the copy, by id. */
    public Map<String, Versioned<T>> snapshot() {
        return Map.copyOf(entries);
    }

    /** Every record's value in the copy, in no particular order. */
    public List<T> values() {
        return entries.values().stream().map(Versioned::value).toList();
    }

    /** Writes a new record; false when the id is taken. */
    public boolean create(String id, T value) {
        Optional<Long> revision = etcd.create(key(id), encoder.apply(value));
        revision.ifPresent(r -> applied(id, value, r));
        return revision.isPresent();
    }

    /** Writes the record, whatever was there. */
    public void put(String id, T value) {
        long revision = etcd.await(etcd.kv().put(Etcd.bytes(key(id)), io.etcd.jetcd.ByteSequence.from(encoder.apply(value))))
                .getHeader().getRevision();
        applied(id, value, revision);
    }

    /** Replaces the record only if it is still at {@code modRevision}; one attempt. */
    public boolean replace(String id, long modRevision, T value) {
        return replace(id, modRevision, value, Alongside.NONE);
    }

    /**
     * Replaces the record only if it is still at {@code modRevision} and {@code alongside}'s
     * guards hold, writing its keys in the same transaction; one attempt.
     */
    public boolean replace(String id, long modRevision, T value, Alongside alongside) {
        List<Cmp> cmps = new java.util.ArrayList<>(alongside.guards());
        cmps.add(0, unchanged(id, modRevision));
        List<Op> ops = new java.util.ArrayList<>(alongside.ops());
        ops.add(0, putOp(id, value));
        Optional<Long> revision = etcd.txn(cmps, ops);
        revision.ifPresent(r -> {
            applied(id, value, r);
            alongside.applied().accept(r);
        });
        return revision.isPresent();
    }

    /** {@link #update(String, UnaryOperator, Function)} writing nothing else. */
    public Optional<T> update(String id, UnaryOperator<T> change) {
        return update(id, change, next -> Alongside.NONE);
    }

    /**
     * Applies {@code change} to the current record and writes it (with what {@code alongside}
     * adds for the new value, in the same transaction) if nobody wrote the record in between,
     * retrying on conflict. The change may return the same instance to write nothing.
     *
     * @return the record as written (or unchanged), empty when there is no such record
     * @throws EtcdConflictException when every one of {@link #MAX_ATTEMPTS} attempts lost a race
     */
    public Optional<T> update(String id, UnaryOperator<T> change, Function<T, Alongside> alongside) {
        for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
            // The copy first (usually current); after a lost race, what etcd has now.
            Optional<Versioned<T>> current = attempt == 0 ? getOrFetch(id) : fetch(id);
            if (current.isEmpty()) {
                return Optional.empty();
            }
            T next = change.apply(current.get().value());
            if (next == current.get().value()) {
                return Optional.of(next);
            }
            Alongside also = alongside.apply(next);
            List<Op> ops = new java.util.ArrayList<>(also.ops());
            ops.add(0, putOp(id, next));
            List<Cmp> cmps = new java.util.ArrayList<>(also.guards());
            cmps.add(0, unchanged(id, current.get().modRevision()));
            Optional<Long> revision = etcd.txn(cmps, ops);
            if (revision.isPresent()) {
                applied(id, next, revision.get());
                also.applied().accept(revision.get());
                return Optional.of(next);
            }
        }
        throw new EtcdConflictException(key(id) + " kept changing under " + MAX_ATTEMPTS
                + " attempts to update it; retry shortly");
    }

    /** Deletes the record if etcd still has it and {@code stillWanted} agrees; true when it is gone. */
    public boolean delete(String id, Predicate<T> stillWanted) {
        Optional<Versioned<T>> current = fetch(id);
        if (current.isEmpty()) {
            removed(id);
            return true;
        }
        if (!stillWanted.test(current.get().value())) {
            return false;
        }
        boolean deleted = etcd.compareAndDelete(key(id), current.get().modRevision());
        if (deleted) {
            removed(id);
        }
        return deleted;
    }

    // ---- building blocks for transactions that change this table together with others ----

    /** The record is still at modRevision. */
    public Cmp unchanged(String id, long modRevision) {
        return Etcd.unchanged(key(id), modRevision);
    }

    /** There is no such record. */
    public Cmp absent(String id) {
        return Etcd.absent(key(id));
    }

    public Op putOp(String id, T value) {
        return Etcd.put(key(id), encoder.apply(value));
    }

    public Op deleteOp(String id) {
        return Etcd.delete(key(id));
    }

    /** Records a write this replica made, unless the copy already holds a newer revision. */
    public void applied(String id, T value, long modRevision) {
        entries.merge(id, new Versioned<>(value, modRevision),
                (old, neu) -> old.modRevision() >= neu.modRevision() ? old : neu);
    }

    /** Records a delete this replica made. */
    public void removed(String id) {
        entries.remove(id);
    }

    private synchronized void resync() {
        if (closed) {
            return;
        }
        try {
            if (watcher != null) {
                watcher.close();
            }
            io.etcd.jetcd.kv.GetResponse response = etcd.getPrefix(prefix);
            Map<String, Versioned<T>> fresh = new ConcurrentHashMap<>();
            for (KeyValue kv : response.getKvs()) {
                decode(kv).ifPresent(v -> fresh.put(id(kv), new Versioned<>(v, kv.getModRevision())));
            }
            entries.keySet().retainAll(fresh.keySet());
            fresh.forEach((k, v) -> applied(k, v.value(), v.modRevision()));
            long revision = response.getHeader().getRevision();
            watcher = etcd.client().getWatchClient().watch(Etcd.bytes(prefix),
                    WatchOption.builder().isPrefix(true).withRevision(revision + 1).build(),
                    Watch.listener(this::onEvents, this::onError));
        } catch (RuntimeException e) {
            LOG.warnf("cannot load %s from etcd (%s); retrying", prefix, e.getMessage());
            retry.schedule(this::resync, 1, TimeUnit.SECONDS);
        }
    }

    private void onEvents(WatchResponse response) {
        for (WatchEvent event : response.getEvents()) {
            KeyValue kv = event.getKeyValue();
            String id = id(kv);
            Versioned<T> old = entries.get(id);
            switch (event.getEventType()) {
                case PUT -> decode(kv).ifPresent(v -> {
                    applied(id, v, kv.getModRevision());
                    notifyListeners(id, old == null ? null : old.value(), v);
                });
                case DELETE -> {
                    entries.remove(id);
                    notifyListeners(id, old == null ? null : old.value(), null);
                }
                case UNRECOGNIZED -> { }
            }
        }
    }

    private void notifyListeners(String id, T oldValue, T newValue) {
        for (Listener<T> l : listeners) {
            try {
                l.changed(id, oldValue, newValue);
            } catch (RuntimeException e) {
                LOG.warnf(e, "listener failed on %s%s", prefix, id);
            }
        }
    }

    private void onError(Throwable error) {
        if (!closed) {
            LOG.warnf("watch on %s broke (%s); reloading", prefix, error.getMessage());
            retry.schedule(this::resync, 500, TimeUnit.MILLISECONDS);
        }
    }

    private Optional<T> decode(KeyValue kv) {
        try {
            return Optional.of(decoder.apply(kv.getValue().getBytes()));
        } catch (RuntimeException e) {
            LOG.errorf("ignoring undecodable value at %s%s: %s", prefix, id(kv), e.getMessage());
            return Optional.empty();
        }
    }

    private String id(KeyValue kv) {
        return kv.getKey().toString(StandardCharsets.UTF_8).substring(prefix.length());
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (watcher != null) {
            watcher.close();
        }
        retry.shutdownNow();
    }
}
