package io.unum.controlplane.process;

import io.quarkus.runtime.Startup;
import io.unum.api.model.ProcessInfo;
import io.unum.controlplane.error.UnumException;
import io.unum.controlplane.etcd.EtcdTable;
import io.unum.controlplane.etcd.EtcdTables;
import io.unum.controlplane.etcd.EtcdTable.Versioned;
import io.unum.controlplane.scheduler.ProcessTable;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * The process table in etcd ({@code /unum/processes/<gpid>}). Every write is a compare-and-set on
 * the record's revision, so two writers (two replicas, or an exit report racing a start) never
 * overwrite each other.
 */
@Startup
@ApplicationScoped
public class ProcessStore implements ProcessTable, IdHolders {
    private final EtcdTable<ProcessInfo> table;

    public ProcessStore(EtcdTables tables) {
        this.table = tables.json("processes/", ProcessInfo.class);
    }

    static String id(int gpid) {
        return String.format("%010d", gpid);
    }

    /** Writes a new record; false when the gpid is taken. */
    public boolean create(ProcessInfo process) {
        return table.create(id(process.gpid()), process);
    }

    public Optional<ProcessInfo> find(int gpid) {
        return table.getOrFetch(id(gpid)).map(Versioned::value);
    }

    public ProcessInfo get(int gpid) {
        return find(gpid).orElseThrow(() -> UnumException.processNotFound("no process has gpid " + gpid
                + "; 'unum ps --all' lists the known ones"));
    }

    /** @see EtcdTable#update(String, UnaryOperator) */
    public Optional<ProcessInfo> update(int gpid, UnaryOperator<ProcessInfo> change) {
        return table.update(id(gpid), change);
    }

    /** Deletes the record if it is still the one given. */
    public boolean delete(ProcessInfo expected) {
        return table.delete(id(expected.gpid()), expected::equals);
    }

    // ---- building blocks for transactions that change a process record together with other keys ----

    /** The record as etcd has it now, with its revision. */
    public Optional<Versioned<ProcessInfo>> current(int gpid) {
        return table.fetch(id(gpid));
    }

    /** The record is still the one read (or, for null, there is none). */
    public io.etcd.jetcd.op.Cmp unchanged(int gpid, Versioned<ProcessInfo> record) {
        return record == null ? table.absent(id(gpid)) : table.unchanged(id(gpid), record.modRevision());
    }

    public io.etcd.jetcd.op.Op put(ProcessInfo process) {
        return table.putOp(id(process.gpid()), process);
    }

    /** Tells the local copy about a write a transaction made, so this replica reads its own writes. */
    public void applied(ProcessInfo process, long revision) {
        table.applied(id(process.gpid()), process, revision);
    }

    /** Every record, by gpid. */
    @Override
    public List<ProcessInfo> list() {
        return table.values().stream().sorted(Comparator.comparingInt(ProcessInfo::gpid)).toList();
    }

    /** A process holds its dynamic uid until it ended: a LOST one may still run. */
    @Override
    public void collectHeld(java.util.Set<Integer> into) {
        for (ProcessInfo p : table.values()) {
            if (p.uid() != null && !p.state().isTerminal()) {
                into.add(p.uid());
            }
        }
    }

    @Override
    public void addListener(EtcdTable.Listener<ProcessInfo> listener) {
        table.addListener(listener);
    }
}
