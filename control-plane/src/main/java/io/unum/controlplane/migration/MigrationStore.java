package io.unum.controlplane.migration;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.runtime.Startup;
import io.unum.api.model.MigrationInfo;
import io.unum.api.model.ProcessInfo;
import io.unum.controlplane.error.UnumException;
import io.unum.controlplane.etcd.Etcd;
import io.unum.controlplane.etcd.JsonCodec;
import io.unum.controlplane.etcd.WatchedPrefix;
import io.unum.controlplane.etcd.WatchedPrefix.Versioned;
import io.unum.controlplane.process.ProcessLocks;
import io.unum.controlplane.process.ProcessStore;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * Migration records in etcd ({@code /unum/migrations/<id>}). The first and the last write of a
 * migration are transactions with the process record and its lock: the record and the lock
 * appear together, and the switch of the process to its new node, DONE and the unlock are one
 * write, so no reader ever sees the process on two nodes or a finished migration still locked.
 */
@Startup
@ApplicationScoped
public class MigrationStore {
    private final Etcd etcd;
    private final ProcessStore processes;
    private final ProcessLocks locks;
    private final JsonCodec<MigrationInfo> codec;
    private final String prefix;
    private WatchedPrefix<MigrationInfo> table;

    public MigrationStore(Etcd etcd, ProcessStore processes, ProcessLocks locks, ObjectMapper mapper) {
        this.etcd = etcd;
        this.processes = processes;
        this.locks = locks;
        this.codec = new JsonCodec<>(mapper, MigrationInfo.class);
        this.prefix = etcd.key("migrations/");
    }

    @PostConstruct
    void start() {
        table = new WatchedPrefix<>(etcd, prefix, codec::decode);
        table.start();
    }

    @PreDestroy
    void stop() {
        table.close();
    }

    private String key(String id) {
        return prefix + id;
    }

    static String lockHolder(MigrationInfo m) {
        return "migration " + m.id();
    }

    /** Writes the new record and locks the process, if the process is unchanged and free. */
    boolean begin(MigrationInfo m, Versioned<ProcessInfo> process) {
        Optional<Long> rev = etcd.txn(
                List.of(Etcd.absent(key(m.id())), processes.unchanged(process), locks.free(m.gpid())),
                List.of(Etcd.put(key(m.id()), codec.encode(m)), locks.lock(m.gpid(), lockHolder(m))));
        rev.ifPresent(r -> {
            table.applyLocal(key(m.id()), m, r);
            locks.applied(m.gpid(), lockHolder(m), r);
        });
        return rev.isPresent();
    }

    public Optional<MigrationInfo> find(String id) {
        return versioned(id).map(Versioned::value);
    }

    public MigrationInfo get(String id) {
        return find(id).orElseThrow(() -> UnumException.notFound("no migration has id '" + id
                + "'; GET /api/v1/migrations lists the recent ones"));
    }

    private Optional<Versioned<MigrationInfo>> versioned(String id) {
        return table.getOrFetch(key(id));
    }

    private Optional<Versioned<MigrationInfo>> fresh(String id) {
        return table.fetch(key(id));
    }

    /** Every record, newest first. */
    public List<MigrationInfo> list() {
        List<MigrationInfo> all = new ArrayList<>(table.snapshot().values().stream().map(Versioned::value).toList());
        all.sort(Comparator.comparing(MigrationInfo::createdAt).reversed());
        return all;
    }

    /** A step of the migration (not its end): compare-and-set, retried on conflict. */
    MigrationInfo update(String id, UnaryOperator<MigrationInfo> change) {
        for (int attempt = 0; attempt < 10; attempt++) {
            Versioned<MigrationInfo> current = (attempt == 0 ? versioned(id) : fresh(id))
                    .orElseThrow(() -> new IllegalStateException("migration " + id + " vanished"));
            MigrationInfo next = change.apply(current.value());
            Optional<Long> rev = etcd.compareAndPut(key(id), current.modRevision(), codec.encode(next));
            if (rev.isPresent()) {
                table.applyLocal(key(id), next, rev.get());
                return next;
            }
        }
        throw new IllegalStateException("migration " + id + " kept changing under 10 updates");
    }

    /**
     * Ends the migration and unlocks the process; with moved, also writes the process record, as
     * long as it did not change since process was read. False when something changed in between.
     */
    boolean finish(MigrationInfo end, Versioned<ProcessInfo> process, ProcessInfo moved) {
        Versioned<MigrationInfo> current = fresh(end.id()).orElseThrow(() -> new IllegalStateException(
                "migration " + end.id() + " vanished"));
        List<io.etcd.jetcd.op.Cmp> cmps = new ArrayList<>(List.of(Etcd.unchanged(key(end.id()), current.modRevision())));
        List<io.etcd.jetcd.op.Op> ops = new ArrayList<>(List.of(Etcd.put(key(end.id()), codec.encode(end)), locks.unlock(end.gpid())));
        if (moved != null) {
            cmps.add(processes.unchanged(process));
            ops.add(processes.put(moved));
        }
        Optional<Long> rev = etcd.txn(cmps, ops);
        rev.ifPresent(r -> {
            table.applyLocal(key(end.id()), end, r);
            locks.applied(end.gpid(), null, r);
            if (moved != null) {
                processes.applied(moved, r);
            }
        });
        return rev.isPresent();
    }

    /** Deletes an ended record (expiry). */
    boolean delete(MigrationInfo m) {
        Optional<Versioned<MigrationInfo>> current = fresh(m.id());
        if (current.isEmpty()) {
            table.removeLocal(key(m.id()));
            return true;
        }
        boolean deleted = etcd.compareAndDelete(key(m.id()), current.get().modRevision());
        if (deleted) {
            table.removeLocal(key(m.id()));
        }
        return deleted;
    }

    public void addListener(WatchedPrefix.Listener<MigrationInfo> listener) {
        table.addListener(listener);
    }
}
