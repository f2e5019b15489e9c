package io.unum.controlplane.process;

import io.quarkus.runtime.Startup;
import io.unum.controlplane.etcd.EtcdTable;
import io.unum.controlplane.etcd.EtcdTables;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Which processes are busy with a long operation (a migration, a checkpoint):
 * {@code /unum/locks/<gpid>} holds e.g. "migration m-1a2b3c4d". A lock is created in the same
 * transaction as the operation's record and deleted in the one that ends it, so there is never
 * more than one operation on a process, and a crashed control plane leaves a lock that the
 * operation's recovery removes. While a process is locked its node may legitimately not list it
 * (it lives in an image for a moment), so reconciliation leaves it alone.
 */
@Startup
@ApplicationScoped
public class ProcessLocks {
    private final EtcdTable<String> locks;

    public ProcessLocks(EtcdTables tables) {
        this.locks = tables.open("locks/", s -> s.getBytes(StandardCharsets.UTF_8),
                b -> new String(b, StandardCharsets.UTF_8));
    }

    /** What holds the process, e.g. "migration m-1a2b3c4d"; empty when it is free. */
    public Optional<String> holder(int gpid) {
        return locks.get(ProcessStore.id(gpid)).map(EtcdTable.Versioned::value);
    }

    /** Every lock this replica knows of: gpid → holder. */
    public java.util.Map<Integer, String> all() {
        java.util.Map<Integer, String> all = new java.util.HashMap<>();
        locks.snapshot().forEach((id, v) -> all.put(Integer.parseInt(id), v.value()));
        return all;
    }

    public io.etcd.jetcd.op.Cmp free(int gpid) {
        return locks.absent(ProcessStore.id(gpid));
    }

    public io.etcd.jetcd.op.Op lock(int gpid, String holder) {
        return locks.putOp(ProcessStore.id(gpid), holder);
    }

    public io.etcd.jetcd.op.Op unlock(int gpid) {
        return locks.deleteOp(ProcessStore.id(gpid));
    }

    /** Tells the local copy about a transaction's lock writes, so this replica reads its own writes. */
    public void applied(int gpid, String holder, long revision) {
        if (holder == null) {
            locks.removed(ProcessStore.id(gpid));
        } else {
            locks.applied(ProcessStore.id(gpid), holder, revision);
        }
    }
}
