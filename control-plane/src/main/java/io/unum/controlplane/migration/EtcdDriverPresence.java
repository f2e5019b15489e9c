package io.unum.controlplane.migration;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.options.PutOption;
import io.quarkus.runtime.Startup;
import io.unum.controlplane.etcd.Etcd;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Each replica keeps {@code /unum/replicas/<id>} under a lease of its own, so the key vanishes
 * within {@link #TTL_SECONDS} of the replica's death. The lease is renewed with keepAliveOnce at
 * a third of its TTL rather than jetcd's keepAlive stream, which can stop silently (jetcd#965);
 * a lease that expired anyway (a long pause) is granted again and the key written again.
 */
@Startup
@ApplicationScoped
public class EtcdDriverPresence implements DriverPresence {
    private static final Logger LOG = Logger.getLogger(EtcdDriverPresence.class);
    static final long TTL_SECONDS = 5;

    private final Etcd etcd;
    private final String id = UUID.randomUUID().toString();
    private final ScheduledExecutorService renewals = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "replica-presence");
        t.setDaemon(true);
        return t;
    });
    private volatile long lease;

    public EtcdDriverPresence(Etcd etcd) {
        this.etcd = etcd;
    }

    @PostConstruct
    void start() {
        renewals.scheduleWithFixedDelay(this::renew, 0, TTL_SECONDS * 1000 / 3, TimeUnit.MILLISECONDS);
    }

    private void renew() {
        try {
            if (lease != 0) {
                try {
                    if (etcd.await(etcd.client().getLeaseClient().keepAliveOnce(lease)).getTTL() > 0) {
                        return;
                    }
                } catch (RuntimeException e) {
                    LOG.debugf("presence lease %x: %s; granting a new one", lease, e.getMessage());
                }
            }
            long granted = etcd.await(etcd.client().getLeaseClient().grant(TTL_SECONDS)).getID();
            etcd.await(etcd.kv().put(Etcd.bytes(key(id)), ByteSequence.EMPTY, PutOption.builder().withLeaseId(granted).build()));
            lease = granted;
        } catch (RuntimeException e) {
            LOG.warnf("cannot keep this replica's presence key: %s", e.getMessage());
        }
    }

    @Override
    public String self() {
        return id;
    }

    @Override
    public boolean present(String replica) {
        return id.equals(replica) || etcd.get(key(replica)).isPresent();
    }

    private String key(String replica) {
        return etcd.key("replicas/" + replica);
    }

    @PreDestroy
    void stop() {
        renewals.shutdownNow();
        long l = lease;
        if (l != 0) {
            try {
                // Revoking removes the key at once: a graceful stop hands its migrations over without delay.
                etcd.client().getLeaseClient().revoke(l).get(2, TimeUnit.SECONDS);
            } catch (Exception e) {
                LOG.debugf("presence lease revoke failed: %s", e.getMessage());
            }
        }
    }
}
