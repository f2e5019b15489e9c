package io.unum.controlplane.migration;

import io.quarkus.scheduler.Scheduled;
import io.unum.api.grpc.RestoreProcessResponse;
import io.unum.api.model.MigrationInfo;
import io.unum.api.model.MigrationState;
import io.unum.api.model.NodeInfo;
import io.unum.controlplane.image.AgentImages;
import io.unum.controlplane.image.AgentImages.AgentCallException;
import io.unum.controlplane.leader.Leadership;
import io.unum.controlplane.node.NodeStore;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.InstantSource;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * On the leader: finishes or rolls back migrations whose driver stopped (its control-plane
 * replica died), and expires old ended records. A migration is abandoned when its record has not
 * changed for {@code unum.migration.abandoned-after} and no replica of ours drives it. The rule is the one the
 * driver follows: before RESTORING, the process goes back to the source; in RESTORING, a process
 * the target already runs (the restore call is idempotent) completes the migration.
 */
@ApplicationScoped
public class MigrationRecovery {
    private static final Logger LOG = Logger.getLogger(MigrationRecovery.class);
    private static final int MAX_ENDED = 1000;

    private final MigrationStore store;
    private final MigrationDriver migrations;
    private final NodeStore nodes;
    private final AgentImages images;
    private final Leadership leadership;
    private final MigrationConfig config;
    private final InstantSource clock;

    public MigrationRecovery(MigrationStore store, MigrationDriver migrations, NodeStore nodes, AgentImages images,
            Leadership leadership, MigrationConfig config, InstantSource clock) {
        this.clock = clock;
        this.config = config;
        this.store = store;
        this.migrations = migrations;
        this.nodes = nodes;
        this.images = images;
        this.leadership = leadership;
    }

    @Scheduled(every = "5s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void run() {
        if (!leadership.isLeader()) {
            return;
        }
        try {
            Instant now = clock.instant();
            List<MigrationInfo> all = store.list();
            for (MigrationInfo m : all) {
                if (!m.state().isTerminal() && !migrations.isDriving(m.id())
                        && m.updatedAt().plus(config.abandonedAfter()).isBefore(now)) {
                    recover(m);
                }
            }
            List<MigrationInfo> ended = all.stream().filter(m -> m.state().isTerminal()).toList();
            for (int i = 0; i < ended.size(); i++) {
                MigrationInfo m = ended.get(i);
                if (i >= MAX_ENDED || m.updatedAt().plus(config.retention()).isBefore(now)) {
                    store.delete(m);
                }
            }
        } catch (RuntimeException e) {
            LOG.warnf(e, "migration recovery failed; retrying");
        }
    }

    void recover(MigrationInfo m) {
        Optional<NodeInfo> source = nodes.find(m.source());
        Optional<NodeInfo> target = nodes.find(m.target());
        LOG.infof("migration %s was abandoned in %s; recovering", m.id(), m.state());
        try {
            if (m.state() == MigrationState.RESTORING && target.isPresent()) {
                try {
                    RestoreProcessResponse r = images.restore(target.get(), m.gpid(), m.id(), null);
                    migrations.complete(m, r, null);
                    return;
                } catch (AgentCallException e) {
                    if (e.unreachable()) {
                        return; // the target may run it: decide when it answers
                    }
                    images.deleteQuietly(target.get(), m.id());
                }
            }
            if (source.isEmpty()) {
                return;
            }
            try {
                migrations.resumeOnSource(m, "the control plane driving the migration stopped in " + m.state());
            } catch (IllegalStateException e) {
                LOG.warnf("migration %s: %s", m.id(), e.getMessage());
            }
        } catch (AgentCallException e) {
            LOG.infof("migration %s: recovery deferred: %s", m.id(), e.getMessage());
        }
    }
}
