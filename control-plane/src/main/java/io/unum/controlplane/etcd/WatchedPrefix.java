package io.unum.controlplane.etcd;

import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
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
import org.jboss.logging.Logger;

/**
 * An in-memory copy of every key under a prefix, kept current by an etcd watch (the
 * informer pattern). Reads are served from memory; etcd stays the source of truth:
 * the copy is rebuilt from a fresh range read whenever the watch breaks (compaction,
 * lost connection). Writers apply their own successful writes at once with
 * {@link #applyLocal} so that a replica reads its own writes.
 */
public final class WatchedPrefix<T> implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(WatchedPrefix.class);

    /** A value with the etcd revision that last modified it. */
    public record Versioned<T>(T value, long modRevision) {
    }

    /**
     * Told about every change the watch delivers (not about local applies). Listeners run on
     * jetcd's event loop: a listener that waits for an etcd call deadlocks it until the timeout.
     */
    public interface Listener<T> {
        void changed(String key, T oldValue, T newValue);
    }

    private final Etcd etcd;
    private final String prefix;
    private final Function<byte[], T> decoder;
    private final Map<String, Versioned<T>> entries = new ConcurrentHashMap<>();
    private final List<Listener<T>> listeners = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService retry = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "watch-retry");
        t.setDaemon(true);
        return t;
    });
    private volatile Watch.Watcher watcher;
    private volatile boolean closed;

    public WatchedPrefix(Etcd etcd, String prefix, Function<byte[], T> decoder) {
        this.etcd = etcd;
        this.prefix = prefix;
        this.decoder = decoder;
    }

    /** Loads the prefix and starts watching; blocks until the first load is done. */
    public void start() {
        resync();
    }

    public void addListener(Listener<T> listener) {
        listeners.add(listener);
    }

    public Optional<Versioned<T>> get(String key) {
        return Optional.ofNullable(entries.get(key));
    }

    /** The key as etcd has it now (not the copy), with its revision. */
    public Optional<Versioned<T>> fetch(String key) {
        return etcd.get(key).map(kv -> new Versioned<>(decoder.apply(kv.getValue().getBytes()), kv.getModRevision()));
    }

    /**
     * The copy's value, else etcd's: another replica may have written the key an instant ago
     * and the watch has not delivered it yet.
     */
    public Optional<Versioned<T>> getOrFetch(String key) {
        Optional<Versioned<T>> cached = get(key);
        return cached.isPresent() ? cached : fetch(key);
    }

    public Map<String, Versioned<T>> snapshot() {
        return Map.copyOf(entries);
    }

    public int size() {
        return entries.size();
    }

    /** Records a write this replica made, unless the copy already holds a newer revision. */
    public void applyLocal(String key, T value, long modRevision) {
        entries.merge(key, new Versioned<>(value, modRevision),
                (old, neu) -> old.modRevision() >= neu.modRevision() ? old : neu);
    }

    public void removeLocal(String key) {
        entries.remove(key);
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
                decode(kv).ifPresent(v -> fresh.put(key(kv), new Versioned<>(v, kv.getModRevision())));
            }
            entries.keySet().retainAll(fresh.keySet());
            fresh.forEach((k, v) -> applyLocal(k, v.value(), v.modRevision()));
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
            String key = key(kv);
            Versioned<T> old = entries.get(key);
            switch (event.getEventType()) {
                case PUT -> decode(kv).ifPresent(v -> {
                    applyLocal(key, v, kv.getModRevision());
                    notifyListeners(key, old == null ? null : old.value(), v);
                });
                case DELETE -> {
                    entries.remove(key);
                    notifyListeners(key, old == null ? null : old.value(), null);
                }
                case UNRECOGNIZED -> { }
            }
        }
    }

    private void notifyListeners(String key, T oldValue, T newValue) {
        for (Listener<T> l : listeners) {
            try {
                l.changed(key, oldValue, newValue);
            } catch (RuntimeException e) {
                LOG.warnf(e, "listener failed on %s", key);
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
            LOG.errorf("ignoring undecodable value at %s: %s", key(kv), e.getMessage());
            return Optional.empty();
        }
    }

    private static String key(KeyValue kv) {
        return kv.getKey().toString(StandardCharsets.UTF_8);
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
