package io.unum.controlplane.checkpoint;

import io.quarkus.runtime.Startup;
import io.unum.api.model.CheckpointInfo;
import io.unum.api.model.ProcessInfo;
import io.unum.controlplane.etcd.Etcd;
import io.unum.controlplane.etcd.EtcdTable;
import io.unum.controlplane.etcd.EtcdTables;
import io.unum.controlplane.etcd.EtcdTable.Versioned;
import io.unum.controlplane.process.IdHolders;
import io.unum.controlplane.process.ProcessLocks;
import io.unum.controlplane.process.ProcessStore;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Checkpoint records ({@code /unum/checkpoints/<id>}) and the transactions that tie them to the
 * process record and its lock: a checkpoint appears together with the unlock (and, for
 * {@code --kill}, the process's end), and a restart moves the process back to RUNNING together
 * with the unlock.
 */
@Startup
@ApplicationScoped
public class CheckpointStore implements IdHolders {
    private final Etcd etcd;
    private final ProcessStore processes;
    private final ProcessLocks locks;
    private final EtcdTable<CheckpointInfo> table;

    public CheckpointStore(Etcd etcd, EtcdTables tables, ProcessStore processes, ProcessLocks locks) {
        this.etcd = etcd;
        this.processes = processes;
        this.locks = locks;
        this.table = tables.json("checkpoints/", CheckpointInfo.class);
    }

    /** A checkpoint holds its process's dynamic uid: a restart brings the process back as that uid. */
    @Override
    public void collectHeld(java.util.Set<Integer> into) {
        for (CheckpointInfo c : table.values()) {
            if (c.process() != null && c.process().uid() != null) {
                into.add(c.process().uid());
            }
        }
    }

    public Optional<CheckpointInfo> find(String id) {
        return table.getOrFetch(id).map(Versioned::value);
    }

    /** Newest first. */
    public List<CheckpointInfo> list() {
        return table.values().stream().sorted(Comparator.comparing(CheckpointInfo::createdAt).reversed()).toList();
    }

    /** Locks the process for an operation, if it is unchanged (or still absent) and free. */
    boolean lock(int gpid, String holder, Versioned<ProcessInfo> process) {
        Optional<Long> rev = etcd.txn(List.of(locks.free(gpid), processes.unchanged(gpid, process)),
                List.of(locks.lock(gpid, holder)));
        rev.ifPresent(r -> locks.applied(gpid, holder, r));
        return rev.isPresent();
    }

    /** Releases the lock, writing the checkpoint and/or the process record with it (either may be null). */
    boolean unlock(int gpid, CheckpointInfo checkpoint, Versioned<ProcessInfo> process, ProcessInfo next) {
        List<io.etcd.jetcd.op.Cmp> cmps = new ArrayList<>();
        List<io.etcd.jetcd.op.Op> ops = new ArrayList<>(List.of(locks.unlock(gpid)));
        if (checkpoint != null) {
            ops.add(table.putOp(checkpoint.id(), checkpoint));
        }
        if (next != null) {
            cmps.add(processes.unchanged(gpid, process));
            ops.add(processes.put(next));
        }
        Optional<Long> rev = etcd.txn(cmps, ops);
        rev.ifPresent(r -> {
            locks.applied(gpid, null, r);
            if (checkpoint != null) {
                table.applied(checkpoint.id(), checkpoint, r);
            }
            if (next != null) {
                processes.applied(next, r);
            }
        });
        return rev.isPresent();
    }

    /** Writes a checkpoint record as part of another transaction (a failed migration's kept image). */
    public io.etcd.jetcd.op.Op putOp(CheckpointInfo checkpoint) {
        return table.putOp(checkpoint.id(), checkpoint);
    }

    public void applied(CheckpointInfo checkpoint, long revision) {
        table.applied(checkpoint.id(), checkpoint, revision);
    }

    /** Names the copy of the checkpoint's image in the tree; empty when the checkpoint is gone. */
    Optional<CheckpointInfo> setTreePath(String id, String path) {
        return table.update(id, c -> c.withTreePath(path));
    }

    void delete(String id) {
        table.delete(id, current -> true);
    }
}
