package io.unum.controlplane.migration;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.subscription.MultiEmitter;
import io.unum.api.model.MigrationInfo;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Streams of one migration's record as it changes (for progress bars): the current record,
 * then every change the etcd watch reports, completing once the migration ended. One store
 * listener serves every follower.
 */
@ApplicationScoped
public class MigrationFollowers {
    private final MigrationStore store;
    private final Map<String, List<Follower>> followers = new ConcurrentHashMap<>();

    public MigrationFollowers(MigrationStore store) {
        this.store = store;
    }

    @PostConstruct
    void start() {
        store.addListener((key, oldValue, newValue) -> {
            if (newValue != null) {
                List<Follower> list = followers.get(newValue.id());
                if (list != null) {
                    list.forEach(f -> f.send(newValue));
                }
            }
        });
    }

    /** The record now and at every change until it ends; fails with 404 semantics when unknown. */
    public Multi<MigrationInfo> follow(String id) {
        MigrationInfo now = store.get(id);
        return Multi.createFrom().<MigrationInfo>emitter(emitter -> {
            Follower f = new Follower(emitter);
            List<Follower> list = followers.computeIfAbsent(id, k -> new CopyOnWriteArrayList<>());
            list.add(f);
            emitter.onTermination(() -> {
                list.remove(f);
                followers.computeIfPresent(id, (k, l) -> l.isEmpty() ? null : l);
            });
            // Read again after joining: a change made meanwhile is in this read, or comes next.
            f.send(store.find(id).orElse(now));
        });
    }

    private static final class Follower {
        private final MultiEmitter<? super MigrationInfo> emitter;
        private MigrationInfo last;

        Follower(MultiEmitter<? super MigrationInfo> emitter) {
            this.emitter = emitter;
        }

        synchronized void send(MigrationInfo m) {
            if (last != null && (last.state().isTerminal() || !m.updatedAt().isAfter(last.updatedAt()) && m.equals(last))) {
                return;
            }
            last = m;
            emitter.emit(m);
            if (m.state().isTerminal()) {
                emitter.complete();
            }
        }
    }
}
