package io.unum.controlplane.leader;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.grpc.stub.StreamObserver;
import io.quarkus.runtime.Startup;
import io.unum.controlplane.etcd.Etcd;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Campaigns for leadership with etcd's election API on a lease. Controllers ask
 * {@link #isLeader()} at every tick rather than being told: by the time a callback ran,
 * leadership could have changed again (Curator's caveat). Losing the lease means losing
 * leadership; the campaign then starts over.
 */
@Startup
@ApplicationScoped
public class Leadership implements LeaderState {
    private static final Logger LOG = Logger.getLogger(Leadership.class);
    private static final long LEASE_TTL_SECONDS = 5;

    private final Client client;
    private final ByteSequence electionName;
    private final String id = UUID.randomUUID().toString();
    private final ScheduledExecutorService retry = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "leader-election");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean leader;
    private volatile long term;
    private volatile boolean closed;
    private volatile long leaseId;

    public Leadership(Etcd etcd) {
        this.client = etcd.client();
        this.electionName = Etcd.bytes(etcd.key("election/leader"));
    }

    @PostConstruct
    void start() {
        retry.execute(this::campaign);
    }

    @Override
    public boolean isLeader() {
        return leader;
    }

    @Override
    public long term() {
        return term;
    }

    private void campaign() {
        if (closed) {
            return;
        }
        try {
            long lease = client.getLeaseClient().grant(LEASE_TTL_SECONDS).get(10, TimeUnit.SECONDS).getID();
            leaseId = lease;
            client.getLeaseClient().keepAlive(lease, new StreamObserver<>() {
                @Override
                public void onNext(LeaseKeepAliveResponse value) {
                }

                @Override
                public void onError(Throwable t) {
                    lose(lease, "lease keep-alive failed: " + t.getMessage());
                }

                @Override
                public void onCompleted() {
                    lose(lease, "lease expired");
                }
            });
            client.getElectionClient()
                    .campaign(electionName, lease, ByteSequence.from(id, StandardCharsets.UTF_8))
                    .whenComplete((response, error) -> {
                        if (error != null) {
                            lose(lease, "campaign failed: " + error.getMessage());
                        } else if (leaseId == lease && !closed) {
                            term++;
                            leader = true;
                            LOG.infof("this replica (%s) is now the leader", id);
                        }
                    });
        } catch (Exception e) {
            LOG.warnf("cannot campaign for leadership (%s); retrying", e.getMessage());
            retry.schedule(this::campaign, 1, TimeUnit.SECONDS);
        }
    }

    private synchronized void lose(long lease, String why) {
        if (leaseId != lease) {
            return;
        }
        leaseId = 0;
        if (leader) {
            LOG.warnf("leadership lost: %s", why);
        }
        leader = false;
        retry.schedule(this::campaign, 1, TimeUnit.SECONDS);
    }

    @PreDestroy
    void stop() {
        closed = true;
        leader = false;
        retry.shutdownNow();
        long lease = leaseId;
        if (lease != 0) {
            try {
                // Revoking hands leadership over at once instead of after the TTL.
                client.getLeaseClient().revoke(lease).get(2, TimeUnit.SECONDS);
            } catch (Exception e) {
                LOG.debugf("lease revoke failed: %s", e.getMessage());
            }
        }
    }
}
