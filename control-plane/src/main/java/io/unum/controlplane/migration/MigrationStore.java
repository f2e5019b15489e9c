package io.unum.controlplane.migration;

import io.quarkus.runtime.Startup;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.Op;
import io.unum.api.model.CheckpointInfo;
import io.unum.api.model.MigrationInfo;
import io.unum.api.model.MigrationState;
import io.unum.api.model.ProcessInfo;
import io.unum.controlplane.checkpoint.CheckpointStore;
import io.unum.controlplane.error.UnumException;
import io.unum.controlplane.etcd.Etcd;
import io.unum.controlplane.etcd.EtcdTable;
import io.unum.controlplane.etcd.EtcdTables;
import io.unum.controlplane.etcd.EtcdTable.Versioned;
import io.unum.controlplane.process.ProcessLocks;
import io.unum.controlplane.process.ProcessStore;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.UnaryOperator;

/**
 * Migration records in etcd ({@code /unum/migrations/<id>}). The first and the last write of a
 * migration are transactions with the process record and its lock: the record and the lock
 * appear together; the commit (the process record names the target, the migration RELEASING) is
 * one write; the end and the unlock are one write, so no reader ever sees the process on two
 * nodes or a finished migration still locked.
 */
@Startup
@ApplicationScoped
public class MigrationStore implements MigrationLedger {
    private static final int END_ATTEMPTS = 20;

    private final Etcd etcd;
    private final ProcessStore processes;
    private final ProcessLocks locks;
    private final CheckpointStore checkpoints;
    private final DriverPresence presence;
    private final EtcdTable<MigrationInfo> table;

    public MigrationStore(Etcd etcd, EtcdTables tables, ProcessStore processes, ProcessLocks locks,
            CheckpointStore checkpoints, DriverPresence presence) {
        this.checkpoints = checkpoints;
        this.presence = presence;
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

    @Override
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

    /**
     * A driver writes only a record that names it: once the leader took a migration over, the
     * replica it was taken from (alive after all, e.g. cut off from etcd for a while) is fenced off.
     */
    private MigrationInfo ours(MigrationInfo current) {
        if (current.driver() != null && !current.driver().equals(presence.self())) {
            throw new IllegalStateException("migration " + current.id() + " is driven by " + current.driver() + " now");
        }
        return current;
    }

    @Override
    public MigrationInfo update(String id, UnaryOperator<MigrationInfo> change) {
        return table.update(id, r -> ours(change.apply(r))).orElseThrow(() -> new IllegalStateException("migration " + id + " vanished"));
    }

    @Override
    public boolean commit(String id, int localPid, Instant at) {
        for (int attempt = 0; attempt < END_ATTEMPTS; attempt++) {
            Versioned<MigrationInfo> m = table.fetch(id).orElseThrow(() -> new IllegalStateException("migration " + id + " vanished"));
            if (ours(m.value()).state().isTerminal()) {
                throw new IllegalStateException("migration " + id + " ended meanwhile (" + m.value().state() + ")");
            }
            Optional<Versioned<ProcessInfo>> process = processes.current(m.value().gpid());
            if (process.isEmpty()) {
                return false;
            }
            MigrationInfo releasing = m.value().to(MigrationState.RELEASING, at);
            ProcessInfo moved = process.get().value().runningOn(m.value().target(), localPid, at);
            Optional<Long> rev = etcd.txn(
                    List.of(table.unchanged(id, m.modRevision()), processes.unchanged(moved.gpid(), process.get())),
                    List.of(table.putOp(id, releasing), processes.put(moved)));
            if (rev.isPresent()) {
                table.applied(id, releasing, rev.get());
                processes.applied(moved, rev.get());
                return true;
            }
        }
        throw new IllegalStateException("migration " + id + ": the commit kept conflicting");
    }

    @Override
    public MigrationInfo end(MigrationInfo end, BiFunction<ProcessInfo, Instant, ProcessInfo> process, CheckpointInfo kept) {
        for (int attempt = 0; attempt < END_ATTEMPTS; attempt++) {
            Versioned<MigrationInfo> current = table.fetch(end.id()).orElseThrow(() -> new IllegalStateException(
                    "migration " + end.id() + " vanished"));
            if (ours(current.value()).state().isTerminal()) {
                return current.value(); // ended by another driver of ours meanwhile
            }
            Versioned<ProcessInfo> record = process == null ? null : processes.current(end.gpid()).orElse(null);
            Instant at = end.updatedAt();
            List<Cmp> cmps = new ArrayList<>(List.of(table.unchanged(end.id(), current.modRevision())));
            List<Op> ops = new ArrayList<>(List.of(table.putOp(end.id(), end), locks.unlock(end.gpid())));
            ProcessInfo next = record == null ? null : process.apply(record.value(), at);
            if (next != null) {
                cmps.add(processes.unchanged(end.gpid(), record));
                ops.add(processes.put(next));
            }
            if (kept != null) {
                ops.add(checkpoints.putOp(kept));
            }
            Optional<Long> rev = etcd.txn(cmps, ops);
            if (rev.isPresent()) {
                table.applied(end.id(), end, rev.get());
                locks.applied(end.gpid(), null, rev.get());
                if (next != null) {
                    processes.applied(next, rev.get());
                }
                if (kept != null) {
                    checkpoints.applied(kept, rev.get());
                }
                return end;
            }
        }
        throw new IllegalStateException("migration " + end.id() + ": ending it " + end.state() + " kept conflicting");
    }

    /** Deletes an ended record (expiry). */
    boolean delete(MigrationInfo m) {
        return table.delete(m.id(), current -> true);
    }

    public void addListener(EtcdTable.Listener<MigrationInfo> listener) {
        table.addListener(listener);
    }
}
