package io.unum.controlplane.process;

import io.unum.api.model.ProcessInfo;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Spawns answered 503 because etcd did not answer. etcd may still have applied the PENDING write
 * whose answer was lost; such a record is removed as soon as etcd answers again, so that a refused
 * spawn leaves nothing behind rather than a PENDING record until the collector fails it.
 */
@ApplicationScoped
public class AbandonedSpawns {
    private static final Logger LOG = Logger.getLogger(AbandonedSpawns.class);
    /** Beyond this the collector fails a PENDING record anyway. */
    private static final long GIVE_UP_NANOS = TimeUnit.MINUTES.toNanos(2);

    private final ProcessStore processes;
    private final ScheduledExecutorService retries = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "abandoned-spawns");
        t.setDaemon(true);
        return t;
    });

    public AbandonedSpawns(ProcessStore processes) {
        this.processes = processes;
    }

    /** Removes the record if etcd holds it as written, once etcd answers. */
    void forget(ProcessInfo pending) {
        retries.execute(() -> attempt(pending, System.nanoTime() + GIVE_UP_NANOS));
    }

    private void attempt(ProcessInfo pending, long deadline) {
        try {
            boolean held = processes.current(pending.gpid()).filter(v -> v.value().equals(pending)).isPresent();
            if (held && processes.delete(pending)) {
                LOG.infof("gpid %d: removed the PENDING record of a spawn refused while etcd did not answer", pending.gpid());
            }
        } catch (RuntimeException e) {
            if (System.nanoTime() < deadline) {
                retries.schedule(() -> attempt(pending, deadline), 1, TimeUnit.SECONDS);
            }
        }
    }

    @PreDestroy
    void stop() {
        retries.shutdownNow();
    }
}
