package io.unum.controlplane.migration;

import io.grpc.Status;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.unum.api.grpc.DescribeProcessResponse;
import io.unum.api.grpc.ExitStatus;
import io.unum.api.grpc.Presence;
import io.unum.api.model.CheckpointInfo;
import io.unum.api.model.MigrationInfo;
import io.unum.api.model.MigrationState;
import io.unum.api.model.NodeInfo;
import io.unum.api.model.NodeState;
import io.unum.api.model.ProcessInfo;
import io.unum.api.model.ProcessState;
import io.unum.controlplane.etcd.EtcdTable.Versioned;
import io.unum.controlplane.image.AgentImages;
import io.unum.controlplane.image.AgentImages.AgentCallException;
import io.unum.controlplane.node.NodeRecords;
import io.unum.controlplane.process.KeptImage;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Optional;
import java.util.function.BiFunction;
import org.jboss.logging.Logger;

/**
 * Brings a migration to its end from wherever it stands, for its driver and for the leader's
 * recovery alike. Its rules: a call that failed in an unknown way is never read as "it did not
 * happen" — the party is asked ({@code DescribeProcess}) until it answers or its node is DOWN;
 * before the commit, the source resumes only once no copy on the target can run (it answered, or
 * is discarded, or is a held copy on an unreachable node, which stays stopped); after the commit
 * the migration only goes forward. A failure never deletes the process record.
 */
@ApplicationScoped
public class MigrationFinisher {
    private static final Logger LOG = Logger.getLogger(MigrationFinisher.class);
    private static final Duration FIRST_WAIT = Duration.ofMillis(200);
    private static final Duration LONGEST_WAIT = Duration.ofSeconds(3);
    /** The buckets of the freeze and phase histograms. */
    private static final Duration[] BUCKETS = java.util.stream.LongStream.of(25, 50, 100, 250, 500, 1_000, 2_500, 5_000,
            10_000, 30_000, 60_000).mapToObj(Duration::ofMillis).toArray(Duration[]::new);

    /** How the finisher waits between two questions (tests replace it). */
    interface Pause {
        void sleep(Duration d) throws InterruptedException;
    }

    private final MigrationLedger ledger;
    private final NodeRecords nodes;
    private final AgentImages images;
    private final MeterRegistry metrics;
    private final InstantSource clock;
    Pause pause = d -> Thread.sleep(d.toMillis());

    public MigrationFinisher(MigrationLedger ledger, NodeRecords nodes, AgentImages images, MeterRegistry metrics,
            InstantSource clock) {
        this.ledger = ledger;
        this.nodes = nodes;
        this.images = images;
        this.metrics = metrics;
        this.clock = clock;
    }

    /**
     * The dump call failed: the source says whether the process runs on (rolled back), ended, or
     * left into a whole image (resumed from it).
     */
    void afterFailedDump(MigrationInfo m, String why) {
        if (settleAtSource(m, why)) {
            resumeOnSource(m, why);
        }
    }

    /**
     * The restore on the target failed in an unknown way: if the target holds our copy, the
     * migration commits; if the target is DOWN, its held copy (if any) stays stopped and the source
     * resumes; otherwise any copy there is discarded first.
     */
    void afterAmbiguousRestore(MigrationInfo m, String why, Long freezeMillis) {
        Duration wait = FIRST_WAIT;
        while (true) {
            Optional<DescribeProcessResponse> truth = ask(m.target(), m.gpid());
            if (truth.isEmpty()) {
                resumeOnSource(m, why + "; " + m.target() + " is DOWN, and a copy held there stays stopped until it is"
                        + " discarded when its agent registers again");
                return;
            }
            DescribeProcessResponse d = truth.get();
            boolean ours = m.id().equals(d.getImageId());
            if (ours && (d.getPresence() == Presence.PRESENCE_HELD || d.getPresence() == Presence.PRESENCE_RUNNING)) {
                if (d.getLocalPid() != 0) {
                    commitAndRelease(m, d.getLocalPid(), freezeMillis, null);
                    return;
                }
                // The restore an earlier agent began is still under way.
            } else {
                discardOnTarget(m);
                resumeOnSource(m, why + "; " + m.target() + " does not hold it (" + d.getPresence() + ")");
                return;
            }
            wait = sleep(wait);
        }
    }

    /** The restore on the target was refused: nothing there can run; resume on the source. */
    void afterRefusedRestore(MigrationInfo m, String why) {
        discardOnTarget(m);
        resumeOnSource(m, why);
    }

    /** One transaction moves the process to the target (the commit point); then the held copy is released. */
    void commitAndRelease(MigrationInfo m, int localPid, Long freezeMillis, Long restoreMillis) {
        if (!ledger.commit(m.id(), localPid, clock.instant())) {
            discardOnTarget(m);
            end(m, MigrationState.FAILED, "the process record vanished during the migration", null, null);
            return;
        }
        LOG.infof("migration %s committed: gpid %d is recorded on %s as pid %d", m.id(), m.gpid(), m.target(), localPid);
        release(ledger.find(m.id()).orElse(m), freezeMillis, restoreMillis);
    }

    /** After the commit: retried until the target answers, or its node is DOWN. Never rolled back. */
    void release(MigrationInfo m, Long freezeMillis, Long restoreMillis) {
        Duration wait = FIRST_WAIT;
        while (true) {
            Optional<NodeInfo> target = up(m.target());
            if (target.isEmpty()) {
                endDone(m, freezeMillis, restoreMillis, "committed, but " + m.target() + " went DOWN before the release;"
                        + " its held copy is released when its agent registers again");
                return;
            }
            try {
                images.release(target.get(), m.gpid(), m.id());
                endDone(m, freezeMillis, restoreMillis, null);
                return;
            } catch (AgentCallException e) {
                if (!e.unreachable()) {
                    // The held copy is gone (the agent lost it): the image on the source is the process now.
                    lost(m, "the release on " + m.target() + " was refused: " + e.getMessage(), true);
                    return;
                }
            }
            wait = sleep(wait);
        }
    }

    /**
     * Brings the process back on the source from the image it was dumped into, then ends the
     * migration. Only called once no copy on the target can run.
     */
    void resumeOnSource(MigrationInfo m, String why) {
        Duration wait = FIRST_WAIT;
        while (true) {
            Optional<NodeInfo> source = up(m.source());
            if (source.isEmpty()) {
                lost(m, why + "; " + m.source() + " is DOWN", true);
                return;
            }
            try {
                // Restoring the image where it was dumped resumes the process (post-copy: cancels the dump).
                int pid = images.restore(source.get(), m.gpid(), m.id(), null, false).getLocalPid();
                rolledBack(m, why, pid);
                return;
            } catch (AgentCallException e) {
                if (e.code() == Status.Code.ALREADY_EXISTS) {
                    // It was never stopped (the dump failed or had not begun): it runs on as it was.
                    rolledBack(m, why, null);
                    return;
                }
                if (!e.unreachable()) {
                    // Whether the image is still there to restart from is the source's to say, not ours to assume.
                    String failed = why + "; resuming it on " + m.source() + " failed too: " + e.getMessage();
                    lost(m, failed, ask(m.source(), m.gpid()).map(d -> d.getImagesList().contains(m.id())).orElse(true));
                    return;
                }
            }
            if (!settleAtSource(m, why)) {
                return;
            }
            wait = sleep(wait);
        }
    }

    /**
     * Asks the source what became of the process and ends the migration accordingly; true when
     * its whole image is there and nothing runs: the caller resumes it from the image.
     */
    private boolean settleAtSource(MigrationInfo m, String why) {
        Duration wait = FIRST_WAIT;
        while (true) {
            Optional<DescribeProcessResponse> truth = ask(m.source(), m.gpid());
            if (truth.isEmpty()) {
                lost(m, why + "; " + m.source() + " is DOWN", true);
                return false;
            }
            DescribeProcessResponse d = truth.get();
            switch (d.getPresence()) {
                case PRESENCE_RUNNING -> {
                    rolledBack(m, why, d.getLocalPid());
                    return false;
                }
                case PRESENCE_LEFT -> {
                    if (d.getImagesList().contains(m.id())) {
                        return true;
                    }
                    lost(m, why + "; " + m.source() + " holds it only in images " + d.getImagesList(), false);
                    return false;
                }
                case PRESENCE_ENDED -> {
                    ended(m, why, d.getExitStatus());
                    return false;
                }
                case PRESENCE_DUMPING, PRESENCE_HELD -> wait = sleep(wait);
                default -> {
                    lost(m, why + "; " + m.source() + " has neither the process nor its image", false);
                    return false;
                }
            }
        }
    }

    /** DescribeProcess on the named node, asked again until it answers; empty once the node is DOWN (or gone). */
    private Optional<DescribeProcessResponse> ask(String nodeName, int gpid) {
        Duration wait = FIRST_WAIT;
        while (true) {
            Optional<NodeInfo> node = up(nodeName);
            if (node.isEmpty()) {
                return Optional.empty();
            }
            try {
                return Optional.of(images.describe(node.get(), gpid));
            } catch (AgentCallException e) {
                LOG.debugf("asking %s about gpid %d: %s; asking again", nodeName, gpid, e.getMessage());
            }
            wait = sleep(wait);
        }
    }

    private Optional<NodeInfo> up(String name) {
        Versioned<NodeInfo> n = nodes.versionedNodes().get(name);
        return n == null || n.value().state() == NodeState.DOWN ? Optional.empty() : Optional.of(n.value());
    }

    private void discardOnTarget(MigrationInfo m) {
        up(m.target()).ifPresent(target -> {
            try {
                images.discard(target, m.gpid());
            } catch (AgentCallException e) {
                // NOT_FOUND: nothing there. Unreachable: a held copy stays stopped, and the
                // registration reconcile discards it when the agent comes back.
                LOG.debugf("migration %s: discarding on %s: %s", m.id(), m.target(), e.getMessage());
            }
            images.deleteQuietly(target, m.id());
        });
    }

    private Duration sleep(Duration wait) {
        try {
            pause.sleep(wait);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted; the leader's recovery finishes the migration", e);
        }
        Duration next = wait.multipliedBy(2);
        return next.compareTo(LONGEST_WAIT) > 0 ? LONGEST_WAIT : next;
    }

    private void endDone(MigrationInfo m, Long freezeMillis, Long restoreMillis, String note) {
        MigrationInfo done = end(m, MigrationState.DONE, note, freezeMillis, restoreMillis, null, null);
        if (done != null) {
            record(done);
        }
        LOG.infof("migration %s done: gpid %d runs on %s, frozen %s ms", m.id(), m.gpid(), m.target(), freezeMillis);
        up(m.source()).ifPresent(n -> images.deleteQuietly(n, m.id()));
        up(m.target()).ifPresent(n -> images.deleteQuietly(n, m.id()));
    }

    private void rolledBack(MigrationInfo m, String why, Integer resumedPid) {
        String reason = why + "; the process runs on at " + m.source();
        end(m, MigrationState.ROLLED_BACK, reason, null, null,
                resumedPid == null ? null : (p, at) -> p.runningOn(m.source(), resumedPid, at), null);
        LOG.infof("migration %s rolled back: %s", m.id(), reason);
        up(m.source()).ifPresent(n -> images.deleteQuietly(n, m.id()));
    }

    private void ended(MigrationInfo m, String why, ExitStatus status) {
        String reason = why + "; the process ended on " + m.source();
        end(m, MigrationState.FAILED, reason, null, null, (p, at) -> switch (status.getStatusCase()) {
            case CODE -> p.exited(status.getCode(), null, at);
            case SIGNAL -> p.exited(null, status.getSignal(), at);
            case STATUS_NOT_SET -> p.exited(null, null, at);
        }, null);
        LOG.infof("migration %s failed: %s", m.id(), reason);
    }

    /**
     * Neither node runs the process. With imageKept, its image stays on the source and a
     * checkpoint record of the same id names it (written with the LOST mark), so that
     * {@code unum restart <id>} brings it back.
     */
    private void lost(MigrationInfo m, String why, boolean imageKept) {
        Instant now = clock.instant();
        MigrationInfo current = ledger.find(m.id()).orElse(m);
        String reason = imageKept ? KeptImage.reason(why, m.source(), m.id()) : why;
        CheckpointInfo kept = imageKept ? new CheckpointInfo(m.id(), m.gpid(), m.source(),
                current.imageBytes() == null ? 0 : current.imageBytes(),
                current.dumpMillis() == null ? 0 : current.dumpMillis(), true, now, null) : null;
        end(m, MigrationState.FAILED, reason, null, null,
                (p, at) -> p.withState(ProcessState.LOST, "migration " + m.id() + " failed: " + reason), kept);
        LOG.errorf("migration %s failed: %s", m.id(), reason);
    }

    /** The ended record, or null when another driver had ended it meanwhile. */
    private MigrationInfo end(MigrationInfo m, MigrationState state, String why, Long freezeMillis, Long restoreMillis,
            BiFunction<ProcessInfo, Instant, ProcessInfo> process, CheckpointInfo kept) {
        MigrationInfo current = ledger.find(m.id()).orElse(m);
        if (current.state().isTerminal()) {
            return null;
        }
        MigrationInfo ended = current.finished(state, why, freezeMillis, restoreMillis, clock.instant());
        ledger.end(ended, process, kept);
        metrics.counter("unum.migrations", "result", state.name().toLowerCase()).increment();
        return ended;
    }

    /**
     * The freeze and each phase of a move that went through, as Prometheus histograms with fixed
     * buckets (from a small process's fraction of a second to a large stop-and-copy's seconds),
     * so that a dashboard can show their distribution, not only a mean.
     */
    private void record(MigrationInfo done) {
        observe(Timer.builder("unum.migration.freeze")
                .description("How long a migrated process ran nowhere: from CRIU's start on its source to the end of its restore"),
                done.freezeMillis());
        observe(phase("pre_freeze"), done.preFreezeMillis());
        observe(phase("dump"), done.dumpMillis());
        observe(phase("transfer"), done.transferMillis());
        observe(phase("restore"), done.restoreMillis());
        observe(phase("post_resume"), done.postResumeMillis());
    }

    private static Timer.Builder phase(String name) {
        return Timer.builder("unum.migration.phase").tag("phase", name)
                .description("How long each phase of a migration that went through took");
    }

    private void observe(Timer.Builder timer, Long millis) {
        if (millis != null) {
            timer.serviceLevelObjectives(BUCKETS).register(metrics).record(Duration.ofMillis(millis));
        }
    }

    private void end(MigrationInfo m, MigrationState state, String why, Long freezeMillis, Long restoreMillis) {
        end(m, state, why, freezeMillis, restoreMillis, null, null);
    }
}
