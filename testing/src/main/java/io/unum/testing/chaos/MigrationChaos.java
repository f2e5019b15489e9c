package io.unum.testing.chaos;

import io.unum.api.model.CheckpointInfo;
import io.unum.api.model.MigrationInfo;
import io.unum.api.model.MigrationMode;
import io.unum.api.model.ProcessInfo;
import io.unum.api.model.ProcessState;
import io.unum.api.model.RestartRequest;
import io.unum.api.model.SpawnRequest;
import io.unum.client.Json;
import io.unum.client.RawResponse;
import io.unum.client.UnumApiException;
import io.unum.client.UnumClient;
import io.unum.testing.AgentProcess;
import io.unum.testing.LocalCluster;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Moves tagged counters around a {@link ChaosSettings#cluster() chaos cluster} by stop-and-copy,
 * post-copy and checkpoint+restart while SIGKILLing, at a random moment inside each move, a random
 * agent (source, target or bystander) or the CRIU that the source or the target runs, and, once
 * each, the driving control plane and etcd. A
 * {@link CopySampler} watches the host throughout; {@link RecordAudit} checks the end. Every random
 * choice comes from the seed, drawn before the round runs, so a seed replays the same plan.
 */
public final class MigrationChaos {
    private static final Duration SETTLE = Duration.ofSeconds(120);
    private static final String CAPS = "+CAN_MIGRATE,+CHECKPOINTABLE";

    enum Mode { STOP_AND_COPY, POST_COPY, CHECKPOINT_RESTART }

    enum Role { SOURCE, TARGET, BYSTANDER, CRIU }

    /** A counter the run moves: its gpid and the tag on its command line. */
    record Counter(int gpid, String tag) {
    }

    private final LocalCluster cluster;
    private final ChaosSettings settings;
    private final ChaosReport report;
    /** Counters found not running once: their worker stops rather than wait for them again. */
    private final Set<Integer> givenUp = ConcurrentHashMap.newKeySet();

    public MigrationChaos(LocalCluster cluster, ChaosSettings settings) {
        this.cluster = cluster;
        this.settings = settings;
        this.report = new ChaosReport(settings.seed());
    }

    /**
     * Runs every round, then the audit; the report lists what went wrong (nothing, when Unum is
     * right). One worker per counter moves it round after round, so that moves (and their faults)
     * overlap: a round's plan is drawn from the seed and its number alone; which worker runs it
     * and how the rounds interleave is up to the machine.
     */
    public ChaosReport run() {
        long started = System.nanoTime();
        report.note("starting: " + settings);
        Random rng = new Random(settings.seed());
        try (CopySampler sampler = new CopySampler(TaggedCounter.PROGRAM);
                FaultInjector faults = new FaultInjector(cluster, report)) {
            List<Counter> counters = spawnCounters(sampler);
            // In the first half and the third quarter, so that a round that moves nothing can pass them on.
            int n = settings.migrations();
            int cpRound = rng.nextInt(Math.max(1, n / 2));
            int etcdRound = n / 2 + rng.nextInt(Math.max(1, n / 4));
            long deadline = started + settings.budget().toNanos();
            AtomicInteger rounds = new AtomicInteger();
            AtomicBoolean cpDone = new AtomicBoolean();
            AtomicBoolean etcdDone = new AtomicBoolean();
            List<Thread> workers = new ArrayList<>();
            for (Counter counter : counters) {
                Thread worker = new Thread(() -> {
                    while (!givenUp.contains(counter.gpid())) {
                        int round = rounds.getAndIncrement();
                        if (round >= n) {
                            return;
                        }
                        if (System.nanoTime() > deadline) {
                            report.violation("the budget of " + settings.budget().toSeconds() + " s ran out at round " + round);
                            rounds.set(n);
                            return;
                        }
                        // A once-only fault whose round found nothing to move passes to the next round that moves something.
                        boolean killCp = round >= cpRound && cpDone.compareAndSet(false, true);
                        boolean stopEtcd = !killCp && round >= etcdRound && etcdDone.compareAndSet(false, true);
                        if (!round(round, counter, faults, killCp, stopEtcd)) {
                            cpDone.compareAndSet(killCp, false);
                            etcdDone.compareAndSet(stopEtcd, false);
                        }
                    }
                }, "chaos-worker-" + counter.gpid());
                worker.start();
                workers.add(worker);
            }
            for (Thread worker : workers) {
                try {
                    worker.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted", e);
                }
            }
            if (givenUp.size() == counters.size()) {
                report.violation("every counter was lost after " + rounds.get() + " rounds");
            }
            RecordAudit audit = new RecordAudit(cluster, sampler, report);
            int lost = audit.check(counters);
            report.end(lost, sampler.duplicates().size(), sampler.maxStopped(), sampler.samples(), (System.nanoTime() - started) / 1_000_000);
            sampler.duplicates().forEach(d -> report.violation("two running copies at " + d));
        }
        report.note("\n" + report.summary());
        return report;
    }

    private List<Counter> spawnCounters(CopySampler sampler) {
        List<Counter> counters = new ArrayList<>();
        List<AgentProcess> agents = cluster.agents();
        for (int i = 0; i < settings.counters(); i++) {
            String tag = "unum-chaos-" + Long.toUnsignedString(settings.seed(), 36) + "-c" + i + "-" + ProcessHandle.current().pid();
            sampler.watch(tag);
            String node = agents.get(i % agents.size()).name();
            ProcessInfo p = spawn(node, tag);
            counters.add(new Counter(p.gpid(), tag));
            report.note("counter gpid " + p.gpid() + " tag " + tag + " on " + p.node());
        }
        for (Counter c : counters) {
            ChaosClock.poll(() -> TaggedCounter.lastNumber(stdout(c.gpid())) >= 3 ? Boolean.TRUE : null, Duration.ofSeconds(60));
        }
        return counters;
    }

    /**
     * A loaded machine may miss a heartbeat before any fault: a spawn refused for a node that is
     * not READY waits for it and is asked again (only a refusal: a spawn that may have happened is
     * never repeated, as two counters with one tag would look like a process running twice).
     */
    private ProcessInfo spawn(String node, String tag) {
        for (int attempt = 1; ; attempt++) {
            cluster.awaitReadyNodes(List.of(node), Duration.ofSeconds(60));
            try {
                return cluster.liveApi().spawn(new SpawnRequest(TaggedCounter.argv(tag), node, null, null, null, null, CAPS));
            } catch (UnumApiException refused) {
                if (attempt == 5) {
                    throw refused;
                }
                report.note("spawn on " + node + " refused (" + refused.getMessage() + "); retrying");
                ChaosClock.sleep(Duration.ofSeconds(1));
            }
        }
    }

    /** One move of counter under faults; false if it found its counter not running (then it moved nothing). */
    private boolean round(int round, Counter counter, FaultInjector faults, boolean killControlPlane, boolean stopEtcd) {
        // Every draw first, whatever happens after: the plan depends on the seed and the round alone.
        Random rng = new Random(settings.seed() ^ (round * 0x9E3779B97F4A7C15L));
        Mode mode = Mode.values()[rng.nextInt(Mode.values().length)];
        Role role = Role.values()[rng.nextInt(Role.values().length)];
        int targetPick = rng.nextInt(2);
        Duration faultDelay = Duration.ofMillis(rng.nextInt((int) settings.maxFaultDelay().toMillis() + 1));
        Duration restartDelay = Duration.ofMillis(rng.nextInt((int) settings.maxRestartDelay().toMillis() + 1));
        Duration cpDelay = Duration.ofMillis(rng.nextInt((int) settings.maxFaultDelay().toMillis() + 1));
        Duration etcdDelay = Duration.ofMillis(rng.nextInt((int) settings.maxFaultDelay().toMillis() + 1));
        // A post-copy target's CRIU works only from the restore on, which the fault must not hit.
        boolean criuOnSource = rng.nextBoolean() || mode == Mode.POST_COPY;
        // A move's CRIU runs for a few hundred ms, starting within a second of the request: a CRIU
        // fault waits less, then hits the first one of the round it sees, this far into it.
        Duration criuDelay = Duration.ofMillis(rng.nextInt(300));
        Duration criuInto = Duration.ofMillis(rng.nextInt(150));

        ProcessInfo p = ChaosClock.poll(() -> runningOrEnded(counter.gpid()), SETTLE);
        if (p == null || p.state() != ProcessState.RUNNING) {
            givenUp.add(counter.gpid());
            report.violation("round " + round + ": gpid " + counter.gpid() + " (" + counter.tag() + ") is not RUNNING: "
                    + ChaosReport.describe(ChaosClock.poll(() -> cluster.liveApi().process(counter.gpid()), Duration.ofSeconds(10))));
            return false;
        }
        String source = p.node();
        List<String> others = cluster.agents().stream().map(AgentProcess::name).filter(n -> !n.equals(source)).sorted().toList();
        String target = others.get(targetPick % others.size());
        String bystander = others.get((targetPick + 1) % others.size());
        String victim = switch (role) {
            case SOURCE -> source;
            case TARGET -> target;
            case BYSTANDER -> bystander;
            case CRIU -> criuOnSource ? source : target;
        };
        // Another round's fault may have the target down: the move needs it READY to be tried at all.
        awaitReady(target);
        report.note("round " + round + ": gpid " + counter.gpid() + " " + mode + " " + source + " -> " + target + "; kill "
                + (role == Role.CRIU
                        ? "the CRIU of " + victim + " (" + (criuOnSource ? "source" : "target") + ") first seen after +"
                                + criuDelay.toMillis() + " ms, " + criuInto.toMillis() + " ms into it"
                        : victim + " (" + role + ") at +" + faultDelay.toMillis() + " ms for " + restartDelay.toMillis() + " ms")
                + (killControlPlane ? "; kill the driving control plane at +" + cpDelay.toMillis() + " ms" : "")
                + (stopEtcd ? "; stop etcd at +" + etcdDelay.toMillis() + " ms" : ""));
        // The first live control plane drives (liveApi picks it while it lives): the one killed.
        UnumClient driver = cluster.liveApi();
        Phase phase = new Phase();
        List<CompletableFuture<Void>> hurt = new ArrayList<>();
        hurt.add(role == Role.CRIU
                ? faults.killCriu(victim, criuOnSource ? "source" : "target", criuDelay, criuInto, phase::observe,
                        phase.criuOfThisRound(mode))
                : faults.killAgent(victim, role.name().toLowerCase(), faultDelay, restartDelay, phase::observe));
        if (killControlPlane) {
            hurt.add(faults.killControlPlane(cluster.controlPlanes().indexOf(cluster.controlPlanes().stream()
                    .filter(cp -> driver.baseUrl().toString().startsWith(cp.httpUrl())).findFirst().orElseThrow()),
                    cpDelay, Duration.ofSeconds(2), phase::observe));
        }
        if (stopEtcd) {
            hurt.add(faults.stopEtcd(etcdDelay, settings.etcdOutage(), phase::observe));
        }
        Instant since = Instant.now().minusSeconds(1);
        String outcome = mode == Mode.CHECKPOINT_RESTART
                ? checkpointMove(driver, counter, source, target, since, phase)
                : migrate(driver, counter, target, MigrationMode.valueOf(mode.name()), since, phase);
        faults.awaitHealed(hurt, Duration.ofSeconds(120));
        awaitReady(victim);
        report.migration(mode.name(), outcome);
        report.note("round " + round + " ended " + outcome);
        return true;
    }

    /**
     * Until the node is READY. Not LocalCluster.awaitReadyNodes: it throws while the node's agent
     * is dead, which another worker's fault may have it be, and a worker that throws stops.
     */
    private void awaitReady(String node) {
        ChaosClock.poll(() -> "READY".equals(cluster.nodeStates().get(node)) ? Boolean.TRUE : null, SETTLE);
    }

    private String migrate(UnumClient driver, Counter c, String target, MigrationMode mode, Instant since, Phase phase) {
        String id;
        try {
            id = driver.migrate(c.gpid(), target, mode).id();
        } catch (UnumApiException refused) {
            return "REFUSED " + refused.status();
        } catch (RuntimeException noAnswer) {
            // The request may have been carried out: look for the record it would have written.
            MigrationInfo m = ChaosClock.poll(() -> cluster.liveApi().migrations(c.gpid()).stream()
                    .filter(x -> x.createdAt() != null && x.createdAt().isAfter(since)).findFirst().orElse(null), Duration.ofSeconds(20));
            if (m == null) {
                return "NO_ANSWER";
            }
            id = m.id();
        }
        phase.migration(id);
        String mid = id;
        MigrationInfo end = ChaosClock.poll(() -> {
            MigrationInfo m = cluster.liveApi().migration(mid);
            return m.state().isTerminal() ? m : null;
        }, SETTLE);
        if (end == null) {
            return "UNFINISHED";
        }
        report.note("migration " + id + " " + end.state() + (end.reason() == null ? "" : ": " + end.reason()));
        ProcessInfo after = ChaosClock.poll(() -> cluster.liveApi().process(c.gpid()), Duration.ofSeconds(30));
        return after != null && after.state() == ProcessState.LOST ? "LOST" : end.state().name();
    }

    /** A move by checkpoint (killing it) and restart on the target; if the restart fails, it is retried until the process runs. */
    private String checkpointMove(UnumClient driver, Counter c, String source, String target, Instant since, Phase phase) {
        phase.step("CHECKPOINTING");
        RawResponse r = tryPost(driver, "/api/v1/processes/" + c.gpid() + "/checkpoints", Map.of("kill", true));
        CheckpointInfo cp;
        if (r != null && r.status() == 201) {
            cp = r.as(CheckpointInfo.class);
        } else if (r != null && r.status() < 500) {
            return "REFUSED " + r.status();
        } else {
            // No answer: the checkpoint may still be taken, by the leader's recovery once the driving
            // control plane's presence has lapsed, which takes a while on a loaded machine.
            cp = ChaosClock.poll(() -> cluster.liveApi().checkpoints(c.gpid()).stream()
                    .filter(x -> x.killed() && x.createdAt() != null && x.createdAt().isAfter(since)).findFirst().orElse(null),
                    Duration.ofSeconds(60));
            if (cp == null) {
                report.note("checkpoint of gpid " + c.gpid() + " answered " + (r == null ? "nothing" : r.status() + " " + r.body())
                        + " and left no image");
                ProcessInfo p = ChaosClock.poll(() -> cluster.liveApi().process(c.gpid()), Duration.ofSeconds(30));
                if (p != null && p.state() == ProcessState.LOST) {
                    return "LOST";
                }
                return p != null && p.state() == ProcessState.RUNNING && p.node().equals(source) ? "ROLLED_BACK" : "FAILED";
            }
        }
        phase.checkpoint(cp.id());
        phase.step("RESTARTING");
        RawResponse restarted = tryPost(driver, "/api/v1/checkpoints/" + cp.id() + "/restart", new RestartRequest(target));
        phase.step("AFTER_RESTART");
        if (restarted != null && restarted.status() == 200) {
            return "DONE";
        }
        report.note("restart of " + cp.id() + " on " + target + " answered "
                + (restarted == null ? "nothing" : restarted.status() + " " + restarted.body()) + "; retrying until it runs");
        String cpId = cp.id();
        ProcessInfo resumed = ChaosClock.poll(() -> {
            UnumClient api = cluster.liveApi();
            ProcessInfo p = api.process(c.gpid());
            if (p.state() == ProcessState.RUNNING) {
                return p;
            }
            if (p.state().isTerminal()) {
                api.raw("POST", "/api/v1/checkpoints/" + cpId + "/restart", Json.write(new RestartRequest(null)));
            }
            return null;
        }, SETTLE);
        return resumed == null ? "FAILED" : resumed.node().equals(target) ? "DONE" : "RESUMED_ELSEWHERE";
    }

    private static RawResponse tryPost(UnumClient api, String path, Object body) {
        try {
            return api.raw("POST", path, Json.write(body));
        } catch (RuntimeException noAnswer) {
            return null;
        }
    }

    /** The record once it is RUNNING on a READY node, or ended (then it never runs again by itself); else null. */
    private ProcessInfo runningOrEnded(int gpid) {
        ProcessInfo p = cluster.liveApi().process(gpid);
        if (p.state().isTerminal()) {
            return p;
        }
        return p.state() == ProcessState.RUNNING && "READY".equals(cluster.nodeStates().get(p.node())) ? p : null;
    }

    private String stdout(int gpid) {
        return RecordAudit.stdout(cluster.liveApi(), gpid).text();
    }

    /** What the operation under way is doing, for the fault's "phase" figure. */
    private final class Phase {
        private volatile String step = "REQUESTED";
        private volatile String migrationId;
        private volatile String checkpointId;

        void step(String now) {
            step = now;
        }

        void migration(String id) {
            migrationId = id;
        }

        void checkpoint(String id) {
            checkpointId = id;
        }

        /**
         * Which CRIU a CRIU fault of this round may kill: one working on this round's image (the
         * migration's; in a checkpoint round, a checkpoint's, whose id is not known until the dump
         * is done). In a post-copy round only before the restore on the target can have succeeded:
         * after it, the pages daemon and the page server are the only way the process's memory
         * arrives, and losing either loses it, which is post-copy's known price, not a fault to
         * survive (a move whose CRIU is killed then ends with that reason).
         */
        java.util.function.Predicate<String> criuOfThisRound(Mode mode) {
            return imageId -> switch (mode) {
                case CHECKPOINT_RESTART -> checkpointId == null ? imageId.startsWith("c-") : imageId.equals(checkpointId);
                case STOP_AND_COPY -> imageId.equals(migrationId);
                case POST_COPY -> imageId.equals(migrationId) && beforeTheRestore();
            };
        }

        /** The move is not past TRANSFERRING; false when the cluster cannot say (it is being hurt on purpose). */
        private boolean beforeTheRestore() {
            try {
                return List.of("PREPARING", "DUMPING", "TRANSFERRING").contains(observe());
            } catch (RuntimeException unavailable) {
                return false;
            }
        }

        String observe() {
            String id = migrationId;
            return id == null ? step : cluster.liveApi().migration(id).state().name();
        }
    }
}
