package io.unum.controlplane.process;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.runtime.Startup;
import io.unum.api.model.ProcessInfo;
import io.unum.controlplane.error.UnumException;
import io.unum.controlplane.etcd.Etcd;
import io.unum.controlplane.etcd.JsonCodec;
import io.unum.controlplane.etcd.WatchedPrefix;
import io.unum.controlplane.etcd.WatchedPrefix.Versioned;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * The process table in etcd ({@code /unum/processes/<gpid>}). Reads come from a watched
 * in-memory copy; every write is a transaction on the record's revision, so two writers
 * (two replicas, or an exit report racing a start) never overwrite each other.
 */
@Startup
@ApplicationScoped
public class ProcessStore {
    private final Etcd etcd;
    private final JsonCodec<ProcessInfo> codec;
    private final String prefix;
    private WatchedPrefix<ProcessInfo> table;

    public ProcessStore(Etcd etcd, ObjectMapper mapper) {
        this.etcd = etcd;
        this.codec = new JsonCodec<>(mapper, ProcessInfo.class);
        this.prefix = etcd.key("processes/");
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

    public String key(int gpid) {
        return prefix + String.format("%010d", gpid);
    }

    /** Writes a new record; false when the gpid is taken. */
    public boolean create(ProcessInfo process) {
        String key = key(process.gpid());
        Optional<Long> revision = etcd.create(key, codec.encode(process));
        revision.ifPresent(r -> table.applyLocal(key, process, r));
        return revision.isPresent();
    }

    public Optional<ProcessInfo> find(int gpid) {
        return findVersioned(gpid).map(Versioned::value);
    }

    public ProcessInfo get(int gpid) {
        return find(gpid).orElseThrow(() -> UnumException.processNotFound("no process has gpid " + gpid
                + "; 'unum ps --all' lists the known ones"));
    }

    private Optional<Versioned<ProcessInfo>> findVersioned(int gpid) {
        return table.getOrFetch(key(gpid));
    }

    /**
     * Applies {@code change} to the current record and writes it if nobody wrote in between,
     * retrying on conflict. The change may return the same instance to write nothing.
     *
     * @return the record as written (or unchanged), empty when there is no such record
     */
    public Optional<ProcessInfo> update(int gpid, UnaryOperator<ProcessInfo> change) {
        String key = key(gpid);
        for (int attempt = 0; attempt < 20; attempt++) {
            Optional<Versioned<ProcessInfo>> current = attempt == 0 ? findVersioned(gpid) : fresh(key);
            if (current.isEmpty()) {
                return Optional.empty();
            }
            ProcessInfo next = change.apply(current.get().value());
            if (next == current.get().value()) {
                return Optional.of(next);
            }
            Optional<Long> revision = etcd.compareAndPut(key, current.get().modRevision(), codec.encode(next));
            if (revision.isPresent()) {
                table.applyLocal(key, next, revision.get());
                return Optional.of(next);
            }
        }
        throw new IllegalStateException("process " + gpid + " kept changing under 20 updates");
    }

    private Optional<Versioned<ProcessInfo>> fresh(String key) {
        return table.fetch(key);
    }

    /** Deletes the record if it is still the one given. */
    public boolean delete(ProcessInfo expected) {
        String key = key(expected.gpid());
        Optional<Versioned<ProcessInfo>> current = fresh(key);
        if (current.isEmpty()) {
            table.removeLocal(key);
            return true;
        }
        if (!current.get().value().equals(expected)) {
            return false;
        }
        boolean deleted = etcd.compareAndDelete(key, current.get().modRevision());
        if (deleted) {
            table.removeLocal(key);
        }
        return deleted;
    }

    // ---- building blocks for transactions that change a process record together with other keys ----

    /** The record as etcd has it now, with its revision. */
    public Optional<Versioned<ProcessInfo>> current(int gpid) {
        return fresh(key(gpid));
    }

    public io.etcd.jetcd.op.Cmp unchanged(Versioned<ProcessInfo> record) {
        return Etcd.unchanged(key(record.value().gpid()), record.modRevision());
    }

    public io.etcd.jetcd.op.Op put(ProcessInfo process) {
        return Etcd.put(key(process.gpid()), codec.encode(process));
    }

    /** Tells the local copy about a write a transaction made, so this replica reads its own writes. */
    public void applied(ProcessInfo process, long revision) {
        table.applyLocal(key(process.gpid()), process, revision);
    }

    /** Every record, by gpid. */
    public List<ProcessInfo> list() {
        return table.snapshot().values().stream()
                .map(Versioned::value)
                .sorted(Comparator.comparingInt(ProcessInfo::gpid))
                .toList();
    }

    public void addListener(WatchedPrefix.Listener<ProcessInfo> listener) {
        table.addListener(listener);
    }
}
