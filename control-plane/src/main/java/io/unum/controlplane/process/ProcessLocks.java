package io.unum.controlplane.process;

import io.quarkus.runtime.Startup;
import io.unum.controlplane.etcd.Etcd;
import io.unum.controlplane.etcd.WatchedPrefix;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
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
    private final Etcd etcd;
    private final String prefix;
    private WatchedPrefix<String> locks;

    public ProcessLocks(Etcd etcd) {
        this.etcd = etcd;
        this.prefix = etcd.key("locks/");
    }

    @PostConstruct
    void start() {
        locks = new WatchedPrefix<>(etcd, prefix, b -> new String(b, StandardCharsets.UTF_8));
        locks.start();
    }

    @PreDestroy
    void stop() {
        locks.close();
    }

    public String key(int gpid) {
        return prefix + String.format("%010d", gpid);
    }

    /** What holds the process, e.g. "migration m-1a2b3c4d"; empty when it is free. */
    public Optional<String> holder(int gpid) {
        return locks.get(key(gpid)).map(WatchedPrefix.Versioned::value);
    }

    public io.etcd.jetcd.op.Cmp free(int gpid) {
        return Etcd.absent(key(gpid));
    }

    public io.etcd.jetcd.op.Op lock(int gpid, String holder) {
        return Etcd.put(key(gpid), holder.getBytes(StandardCharsets.UTF_8));
    }

    public io.etcd.jetcd.op.Op unlock(int gpid) {
        return Etcd.delete(key(gpid));
    }

    /** Tells the local copy about a transaction's lock writes, so this replica reads its own writes. */
    public void applied(int gpid, String holder, long revision) {
        if (holder == null) {
            locks.removeLocal(key(gpid));
        } else {
            locks.applyLocal(key(gpid), holder, revision);
        }
    }
}
