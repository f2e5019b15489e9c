package io.unum.controlplane.migration;

import io.unum.api.model.MigrationInfo;
import io.unum.api.model.MigrationState;
import io.unum.controlplane.error.UnumException;
import io.unum.controlplane.scheduler.ProcessMover;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import org.jboss.logging.Logger;

/** The balancer's moves are live migrations, waited for until they end. */
@ApplicationScoped
public class MigratingProcessMover implements ProcessMover {
    private static final Logger LOG = Logger.getLogger(MigratingProcessMover.class);
    private static final Duration WAIT = Duration.ofMinutes(10);

    private final MigrationDriver migrations;
    private final MigrationFollowers followers;

    public MigratingProcessMover(MigrationDriver migrations, MigrationFollowers followers) {
        this.migrations = migrations;
        this.followers = followers;
    }

    @Override
    public void move(int gpid, String targetNode, String reason) {
        // The mode by size, as for a user who names none: the shortest freeze for this process.
        MigrationInfo started = migrations.start(gpid, targetNode, null);
        LOG.infof("migration %s of gpid %d to %s: %s", started.id(), gpid, targetNode, reason);
        MigrationInfo end = followers.follow(started.id()).select().where(m -> m.state().isTerminal())
                .toUni().await().atMost(WAIT);
        if (end.state() != MigrationState.DONE) {
            throw UnumException.invalidState("migration " + end.id() + " of process " + gpid + " " + end.state() + ": " + end.reason());
        }
    }
}
