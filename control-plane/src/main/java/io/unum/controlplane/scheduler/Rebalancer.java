package io.unum.controlplane.scheduler;

import io.unum.api.model.Capability;
import io.unum.api.model.ProcessInfo;
import io.unum.api.model.ProcessState;
import io.unum.api.model.SchedulerEvent;
import io.unum.controlplane.node.NodeUsage;
import io.unum.controlplane.scheduler.BalancingPolicy.Cluster;
import io.unum.controlplane.scheduler.BalancingPolicy.Move;
import io.unum.controlplane.scheduler.BalancingPolicy.Movable;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.jboss.logging.Logger;

/**
 * One balancing round after another: the filters (READY nodes, running {@code CAN_MIGRATE}
 * processes, the minimum interval since a process's last move or attempt), the balancing policy,
 * the moves. Pure logic with its inputs handed in, so tests drive it with fakes and a clock.
 *
 * <p>Heartbeats report load seconds late. A move is therefore accounted in the figures at once
 * (the source loses the process's task and memory, the target gains them) and stays accounted
 * until both nodes have sent a heartbeat whose load window started after the move: then the
 * reported figures include it. Without that, every round would see the same overloaded source
 * and move process after process off it.
 */
final class Rebalancer {
    private static final Logger LOG = Logger.getLogger(Rebalancer.class);
    /** How far back an agent's load figure reaches (its sampling window), plus slack. */
    static final Duration LOAD_WINDOW = Duration.ofMillis(2500);

    /** Publishes a decision; EventLog::publish in production. */
    interface Decisions {
        void record(SchedulerEvent.Type type, Integer gpid, String fromNode, String toNode, String policy, String reason);
    }

    private record Adjustment(String node, double tasks, int processes, long memory, Instant movedAt) {
    }

    private final ProcessMover mover;
    private final Decisions decisions;
    private final Function<Integer, Map<String, String>> constraints;
    private final InstantSource clock;
    private final MosixBalancing mosix = new MosixBalancing();
    private final MemoryUsheringBalancing memoryUshering = new MemoryUsheringBalancing();
    /** When each process was last moved, or last tried. */
    private final Map<Integer, Instant> lastMove = new HashMap<>();
    private final List<Adjustment> adjustments = new ArrayList<>();

    /** @param constraints the labels a process's node must have, by gpid */
    Rebalancer(ProcessMover mover, Decisions decisions, Function<Integer, Map<String, String>> constraints,
            InstantSource clock) {
        this.mover = mover;
        this.constraints = constraints;
        this.decisions = decisions;
        this.clock = clock;
    }

    /** Starts a leadership term from the decision log, so a new leader honours the old one's intervals. */
    synchronized void resume(List<SchedulerEvent> recent) {
        lastMove.clear();
        adjustments.clear();
        for (SchedulerEvent e : recent) {
            if (e.type() == SchedulerEvent.Type.MIGRATION_STARTED && e.gpid() != null) {
                lastMove.merge(e.gpid(), e.at(), (a, b) -> a.isAfter(b) ? a : b);
            }
        }
    }

    /**
     * Moves processes until the policy finds nothing worth moving, at most as many as there are nodes.
     *
     * @param stillLeader asked before each move: leadership may have been lost meanwhile
     * @return how many moves succeeded
     */
    synchronized int round(List<Candidate> nodes, List<ProcessInfo> processes, Map<Integer, NodeUsage.Usage> usage,
            Policy policy, BooleanSupplier stillLeader) {
        BalancingPolicy balancing = switch (policy.balancing()) {
            case NONE -> null;
            case MOSIX -> mosix;
            case MEMORY_USHERING -> memoryUshering;
        };
        if (balancing == null) {
            return 0;
        }
        Map<String, Candidate> view = new HashMap<>();
        nodes.stream().filter(Candidate::ready).forEach(n -> view.put(n.name(), n));
        expireAdjustments(view);
        for (Adjustment a : adjustments) {
            view.computeIfPresent(a.node(), (k, n) -> n.adjusted(a.tasks(), a.processes(), a.memory()));
        }
        Map<String, List<Movable>> movable = movable(view, processes, usage, policy);
        int moved = 0;
        for (int i = 0; i < view.size() && stillLeader.getAsBoolean(); i++) {
            Optional<Move> next = balancing.next(new Cluster(sorted(view), movable), policy);
            if (next.isEmpty()) {
                break;
            }
            Move move = next.get();
            movable.get(move.from().name()).removeIf(m -> m.process().gpid() == move.process().gpid());
            if (execute(move, policy)) {
                moved++;
                Instant at = clock.instant();
                account(view, new Adjustment(move.from().name(), -move.tasks(), -1, move.memoryBytes(), at));
                account(view, new Adjustment(move.to().name(), move.tasks(), 1, -move.memoryBytes(), at));
            }
        }
        return moved;
    }

    private boolean execute(Move move, Policy policy) {
        int gpid = move.process().gpid();
        String label = policy.balancing().label();
        lastMove.put(gpid, clock.instant());
        decisions.record(SchedulerEvent.Type.MIGRATION_STARTED, gpid, move.from().name(), move.to().name(), label, move.reason());
        long t0 = System.nanoTime();
        try {
            mover.move(gpid, move.to().name(), label + ": " + move.reason());
        } catch (RuntimeException e) {
            LOG.infof("moving gpid %d to %s failed: %s", gpid, move.to().name(), e.getMessage());
            decisions.record(SchedulerEvent.Type.MIGRATION_FAILED, gpid, move.from().name(), move.to().name(), label,
                    e.getMessage());
            return false;
        }
        long millis = (System.nanoTime() - t0) / 1_000_000;
        decisions.record(SchedulerEvent.Type.MIGRATED, gpid, move.from().name(), move.to().name(), label,
                "moved in " + millis + " ms");
        return true;
    }

    private Map<String, List<Movable>> movable(Map<String, Candidate> view, List<ProcessInfo> processes,
            Map<Integer, NodeUsage.Usage> usage, Policy policy) {
        Instant now = clock.instant();
        lastMove.values().removeIf(at -> at.plus(policy.minInterval()).isBefore(now));
        Map<String, List<Movable>> byNode = new HashMap<>();
        view.keySet().forEach(n -> byNode.put(n, new ArrayList<>()));
        for (ProcessInfo p : processes) {
            if (p.state() == ProcessState.RUNNING && byNode.containsKey(p.node())
                    && p.capabilities().effective().contains(Capability.CAN_MIGRATE)
                    && !lastMove.containsKey(p.gpid())) {
                NodeUsage.Usage u = usage.get(p.gpid());
                byNode.get(p.node()).add(new Movable(p, u == null ? 0 : u.cpuPercent(), u == null ? 0 : u.rssBytes(),
                        constraints.apply(p.gpid())));
            }
        }
        return byNode;
    }

    private void account(Map<String, Candidate> view, Adjustment a) {
        adjustments.add(a);
        view.computeIfPresent(a.node(), (k, n) -> n.adjusted(a.tasks(), a.processes(), a.memory()));
    }

    /** Drops what the nodes' heartbeats now report themselves. */
    private void expireAdjustments(Map<String, Candidate> view) {
        adjustments.removeIf(a -> {
            Candidate n = view.get(a.node());
            Instant heartbeat = n == null ? null : n.node().lastHeartbeatAt();
            return n == null || (heartbeat != null && !heartbeat.isBefore(a.movedAt().plus(LOAD_WINDOW)));
        });
    }

    private static List<Candidate> sorted(Map<String, Candidate> view) {
        return view.values().stream().sorted(java.util.Comparator.comparing(Candidate::name)).toList();
    }
}
