package io.unum.controlplane.migration;

import io.quarkus.scheduler.Scheduled;
import io.unum.api.model.MigrationInfo;
import io.unum.controlplane.leader.LeaderState;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.function.Predicate;
import org.jboss.logging.Logger;

/**
 * On the leader: takes over migrations whose driver stopped, and expires old ended records. A
 * migration is taken over as soon as the replica named as its driver has no presence key in etcd
 * (seconds after it died); a record without a driver, or one untouched for
 * {@code unum.migration.abandoned-after}, is taken over too, as a last resort. On every replica:
 * its own migrations that no thread of it drives any more. The take-over names
 * this replica as the driver and follows the driver's rules ({@link MigrationFinisher}) from the
 * step the record is in.
 */
@ApplicationScoped
public class MigrationRecovery {
    private static final Logger LOG = Logger.getLogger(MigrationRecovery.class);
    private static final int MAX_ENDED = 1000;

    private final MigrationLedger ledger;
    private final MigrationStore store;
    private final MigrationFinisher finisher;
    private final DriverPresence presence;
    private final Predicate<String> drivenHere;
    private final LeaderState leadership;
    private final MigrationConfig config;
    private final InstantSource clock;

    @Inject
    public MigrationRecovery(MigrationStore store, MigrationFinisher finisher, DriverPresence presence,
            MigrationDriver driver, LeaderState leadership, MigrationConfig config, InstantSource clock) {
        this(store, store, finisher, presence, driver::isDriving, leadership, config, clock);
    }

    /** drivenHere: whether a thread of this replica drives the migration right now. */
    MigrationRecovery(MigrationLedger ledger, MigrationStore store, MigrationFinisher finisher, DriverPresence presence,
            Predicate<String> drivenHere, LeaderState leadership, MigrationConfig config, InstantSource clock) {
        this.drivenHere = drivenHere;
        this.ledger = ledger;
        this.store = store;
        this.finisher = finisher;
        this.presence = presence;
        this.leadership = leadership;
        this.config = config;
        this.clock = clock;
    }

    @Scheduled(every = "1s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void run() {
        try {
            List<MigrationInfo> all = store.list();
            recoverAbandoned(all);
            if (leadership.isLeader()) {
                expire(all);
            }
        } catch (RuntimeException e) {
            LOG.warnf(e, "migration recovery failed; retrying");
        }
    }

    /**
     * Takes over every non-terminal migration whose driver is gone (on the leader) and, on every
     * replica, finishes its own that no thread of it drives any more: its driver gave up (a call
     * met etcd down and the request ended with a 503) while the replica lived on, so its presence
     * key stays and no leader would take the migration over before abandoned-after, the process
     * frozen all that while.
     */
    void recoverAbandoned(List<MigrationInfo> migrations) {
        Instant now = clock.instant();
        boolean leader = leadership.isLeader();
        for (MigrationInfo m : migrations) {
            if (!m.state().isTerminal() && (leader ? abandoned(m, now) : ownAndIdle(m))) {
                recover(m);
            }
        }
    }

    private boolean abandoned(MigrationInfo m, Instant now) {
        if (drivenHere.test(m.id())) {
            return false;
        }
        boolean stale = m.updatedAt().plus(config.abandonedAfter()).isBefore(now);
        return m.driver() == null || ownAndIdle(m) || stale || !presence.present(m.driver());
    }

    /** Named as ours but no thread here drives it: given up, or a take-over of ours that was interrupted. */
    private boolean ownAndIdle(MigrationInfo m) {
        return presence.self().equals(m.driver()) && !drivenHere.test(m.id());
    }

    void recover(MigrationInfo abandoned) {
        LOG.infof("migration %s lost its driver %s in %s; taking it over", abandoned.id(), abandoned.driver(),
                abandoned.state());
        MigrationInfo m = ledger.update(abandoned.id(), r -> r.drivenBy(presence.self(), clock.instant()));
        if (m.state().isTerminal()) {
            return;
        }
        String why = "the control plane driving the migration stopped in " + m.state();
        try {
            switch (m.state()) {
                // The dump may have begun (or even finished): the source says.
                case PREPARING, DUMPING -> finisher.afterFailedDump(m, why);
                // Nothing was restored on the target yet.
                case TRANSFERRING -> finisher.afterRefusedRestore(m, why);
                case RESTORING -> finisher.afterAmbiguousRestore(m, why, null);
                case RELEASING -> finisher.release(m, null, null);
                default -> throw new IllegalStateException("unexpected state " + m.state());
            }
        } catch (RuntimeException e) {
            // Still ours: the next round (or the next leader, once this replica's key is gone) goes on.
            LOG.warnf("migration %s: recovery interrupted: %s", m.id(), e.getMessage());
        }
    }

    private void expire(List<MigrationInfo> all) {
        Instant now = clock.instant();
        List<MigrationInfo> ended = all.stream().filter(m -> m.state().isTerminal()).toList();
        for (int i = 0; i < ended.size(); i++) {
            MigrationInfo m = ended.get(i);
            if (i >= MAX_ENDED || m.updatedAt().plus(config.retention()).isBefore(now)) {
                store.delete(m);
            }
        }
    }
}
