package io.unum.controlplane.migration;

import io.quarkus.runtime.Startup;
import io.unum.api.model.MigrationInfo;
import io.unum.api.model.ProcessInfo;
import io.unum.controlplane.error.UnumException;
import io.unum.controlplane.etcd.Etcd;
import io.unum.controlplane.etcd.EtcdTable;
import io.unum.controlplane.etcd.EtcdTables;
import io.unum.controlplane.etcd.EtcdTable.Versioned;
import io.unum.controlplane.process.ProcessLocks;
import io.unum.controlplane.process.ProcessStore;
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
    private final EtcdTable<MigrationInfo> table;

    public MigrationStore(Etcd etcd, EtcdTables tables, ProcessStore processes, ProcessLocks locks) {
        this.etcd = etcd;
        this.processes = processes;
        this.locks = locks;
        this.table = tables.json("migrations/", MigrationInfo.class);
    }

    static String lockHolder(MigrationInfo m) {
        return "migration " + m.id();
    }

    /** Writes the new record and locks the process, if the process is unchanged and free. */
    boolean begin(MigrationInfo m, Versioned<ProcessInfo> process) {
        Optional<Long> rev = etcd.txn(
                List.of(table.absent(m.id()), processes.unchanged(m.gpid(), process), locks.free(m.gpid())),
                List.of(table.putOp(m.id(), m), locks.lock(m.gpid(), lockHolder(m))));
        rev.ifPresent(r -> {
            table.applied(m.id(), m, r);
            locks.applied(m.gpid(), lockHolder(m), r);
        });
        return rev.isPresent();
    }

    public Optional<MigrationInfo> find(String id) {
        return table.getOrFetch(id).map(Versioned::value);
    }

    public MigrationInfo get(String id) {
        return find(id).orElseThrow(() -> UnumException.notFound("no migration has id '" + id
                + "'; GET /api/v1/migrations lists the recent ones"));
    }

    /** Every record, newest first. */
    public List<MigrationInfo> list() {
        return table.values().stream().sorted(Comparator.comparing(MigrationInfo::createdAt).reversed()).toList();
    }

    /** A step of the migration (not its end). */
    MigrationInfo update(String id, UnaryOperator<MigrationInfo> change) {
        return table.update(id, change).orElseThrow(() -> new IllegalStateException("migration " + id + " vanished"));
    }

    /**
     * Ends the migration and unlocks the process; with moved, also writes the process record, as
     * long as it did not change since process was read. False when something changed in between.
     */
    boolean finish(MigrationInfo end, Versioned<ProcessInfo> process, ProcessInfo moved) {
        Versioned<MigrationInfo> current = table.fetch(end.id()).orElseThrow(() -> new IllegalStateException(
                "migration " + end.id() + " vanished"));
        List<io.etcd.jetcd.op.Cmp> cmps = new ArrayList<>(List.of(table.unchanged(end.id(), current.modRevision())));
        List<io.etcd.jetcd.op.Op> ops = new ArrayList<>(List.of(table.putOp(end.id(), end), locks.unlock(end.gpid())));
        if (moved != null) {
            cmps.add(processes.unchanged(end.gpid(), process));
            ops.add(processes.put(moved));
        }
        Optional<Long> rev = etcd.txn(cmps, ops);
        rev.ifPresent(r -> {
            table.applied(end.id(), end, r);
            locks.applied(end.gpid(), null, r);
            if (moved != null) {
                processes.applied(moved, r);
            }
        });
        return rev.isPresent();
    }

    /** Deletes an ended record (expiry). */
    boolean delete(MigrationInfo m) {
        return table.delete(m.id(), current -> true);
    }

    public void addListener(EtcdTable.Listener<MigrationInfo> listener) {
        table.addListener(listener);
    }
}
