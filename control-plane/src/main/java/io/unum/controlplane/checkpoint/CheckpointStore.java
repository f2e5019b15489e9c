package io.unum.controlplane.checkpoint;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.runtime.Startup;
import io.unum.api.model.CheckpointInfo;
import io.unum.api.model.ProcessInfo;
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

/**
 * Checkpoint records ({@code /unum/checkpoints/<id>}) and the transactions that tie them to the
 * process record and its lock: a checkpoint appears together with the unlock (and, for
 * {@code --kill}, the process's end), and a restart moves the process back to RUNNING together
 * with the unlock.
 */
@Startup
@ApplicationScoped
public class CheckpointStore {
    private final Etcd etcd;
    private final ProcessStore processes;
    private final ProcessLocks locks;
    private final JsonCodec<CheckpointInfo> codec;
    private final String prefix;
    private WatchedPrefix<CheckpointInfo> table;

    public CheckpointStore(Etcd etcd, ProcessStore processes, ProcessLocks locks, ObjectMapper mapper) {
        this.etcd = etcd;
        this.processes = processes;
        this.locks = locks;
        this.codec = new JsonCodec<>(mapper, CheckpointInfo.class);
        this.prefix = etcd.key("checkpoints/");
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

    public Optional<CheckpointInfo> find(String id) {
        return table.getOrFetch(key(id)).map(Versioned::value);
    }

    /** Newest first. */
    public List<CheckpointInfo> list() {
        List<CheckpointInfo> all = new ArrayList<>(table.snapshot().values().stream().map(Versioned::value).toList());
        all.sort(Comparator.comparing(CheckpointInfo::createdAt).reversed());
        return all;
    }

    /** Locks the process for an operation, if it is unchanged (or still absent) and free. */
    boolean lock(int gpid, String holder, Versioned<ProcessInfo> process) {
        List<io.etcd.jetcd.op.Cmp> cmps = new ArrayList<>(List.of(locks.free(gpid)));
        cmps.add(process == null ? Etcd.absent(processes.key(gpid)) : processes.unchanged(process));
        Optional<Long> rev = etcd.txn(cmps, List.of(locks.lock(gpid, holder)));
        rev.ifPresent(r -> locks.applied(gpid, holder, r));
        return rev.isPresent();
    }

    /** Releases the lock, writing the checkpoint and/or the process record with it (either may be null). */
    boolean unlock(int gpid, CheckpointInfo checkpoint, Versioned<ProcessInfo> process, ProcessInfo next) {
        List<io.etcd.jetcd.op.Cmp> cmps = new ArrayList<>();
        List<io.etcd.jetcd.op.Op> ops = new ArrayList<>(List.of(locks.unlock(gpid)));
        if (checkpoint != null) {
            ops.add(Etcd.put(key(checkpoint.id()), codec.encode(checkpoint)));
        }
        if (next != null) {
            cmps.add(process == null ? Etcd.absent(processes.key(gpid)) : processes.unchanged(process));
            ops.add(processes.put(next));
        }
        Optional<Long> rev = etcd.txn(cmps, ops);
        rev.ifPresent(r -> {
            locks.applied(gpid, null, r);
            if (checkpoint != null) {
                table.applyLocal(key(checkpoint.id()), checkpoint, r);
            }
            if (next != null) {
                processes.applied(next, r);
            }
        });
        return rev.isPresent();
    }

    void delete(String id) {
        etcd.await(etcd.kv().delete(Etcd.bytes(key(id))));
        table.removeLocal(key(id));
    }
}
