package io.unum.controlplane.scheduler;

import static io.unum.controlplane.scheduler.Fixtures.MIB;
import static io.unum.controlplane.scheduler.Fixtures.T0;
import static io.unum.controlplane.scheduler.Fixtures.node;
import static io.unum.controlplane.scheduler.Fixtures.process;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unum.api.model.ProcessInfo;
import io.unum.api.model.SchedulerEvent;
import io.unum.api.model.SchedulerPolicy;
import io.unum.controlplane.error.UnumException;
import io.unum.controlplane.node.NodeUsage;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class RebalancerTest {
    private static final Policy MOSIX = Policy.of(new SchedulerPolicy("least-loaded", "mosix", 0.5, null, 20.0, 2.0, null, null));
    private static final Policy NONE = Policy.of(new SchedulerPolicy("least-loaded", "none", null, null, null, null, null, null));

    private Instant now = T0;
    private final InstantSource clock = () -> now;
    private final List<String> events = new ArrayList<>();
    /** Where each process runs: the fake mover moves it, as a migration would. */
    private final Map<Integer, String> placement = new TreeMap<>();
    private final List<Integer> refused = new ArrayList<>();
    private final Map<Integer, Map<String, String>> constraints = new HashMap<>();
    private final Rebalancer rebalancer = new Rebalancer((gpid, target, reason) -> {
        if (refused.contains(gpid)) {
            throw UnumException.invalidState("gpid " + gpid + " cannot be checkpointed");
        }
        placement.put(gpid, target);
    }, (type, gpid, from, to, policy, reason) -> events.add(type + " " + gpid + " " + from + "->" + to),
            gpid -> constraints.getOrDefault(gpid, Map.of()), clock);

    @Test
    void mosixSpreadsEightBusyProcessesFromOneNodeOverFourWithoutMovingAnyTwice() {
        List<Candidate> nodes = List.of(node("node-1", 0.5, 8, 8), node("node-2", 0.5, 0, 0),
                node("node-3", 0.5, 0, 0), node("node-4", 0.5, 0, 0));
        for (int gpid = 1; gpid <= 8; gpid++) {
            placement.put(gpid, "node-1");
        }
        int moves = 0;
        for (int round = 0; round < 10; round++) {
            // Heartbeats have not caught up (same lastHeartbeatAt): the balancer relies on its own accounting.
            moves += rebalancer.round(nodes, processes(true), busy(), MOSIX, () -> true);
            now = now.plusSeconds(2);
        }
        assertEquals(6, moves, events.toString());
        assertEquals(Map.of("node-1", 2L, "node-2", 2L, "node-3", 2L, "node-4", 2L), perNode());
        assertEquals(6, placement.keySet().stream().filter(g -> events.stream().anyMatch(e -> e.startsWith("MIGRATED " + g + " "))).count(),
                "six different processes moved, each once");
    }

    @Test
    void processesWithoutCanMigrateNeverMove() {
        List<Candidate> nodes = List.of(node("node-1", 1, 6, 6), node("node-2", 1, 0, 0));
        for (int gpid = 1; gpid <= 6; gpid++) {
            placement.put(gpid, "node-1");
        }
        assertEquals(0, rebalancer.round(nodes, processes(false), busy(), MOSIX, () -> true));
        assertEquals(List.of(), events);
    }

    @Test
    void onAnOverloadedNodeOnlyTheMigratableProcessesMove() {
        List<Candidate> nodes = List.of(node("node-1", 1, 6, 6), node("node-2", 1, 0, 0));
        for (int gpid = 1; gpid <= 6; gpid++) {
            placement.put(gpid, "node-1");
        }
        List<ProcessInfo> mixed = placement.entrySet().stream()
                .map(e -> process(e.getKey(), e.getValue(), e.getKey() % 2 == 0)).toList();
        int moves = rebalancer.round(nodes, mixed, busy(), MOSIX, () -> true);
        assertTrue(moves > 0, events.toString());
        for (int gpid = 1; gpid <= 6; gpid += 2) {
            assertEquals("node-1", placement.get(gpid), "gpid " + gpid + " lacks CAN_MIGRATE and stays");
        }
        assertTrue(placement.entrySet().stream().anyMatch(e -> e.getKey() % 2 == 0 && e.getValue().equals("node-2")),
                placement.toString());
    }

    @Test
    void balancingNoneMovesNothing() {
        List<Candidate> nodes = List.of(node("node-1", 1, 6, 6), node("node-2", 1, 0, 0));
        placement.put(1, "node-1");
        assertEquals(0, rebalancer.round(nodes, processes(true), busy(), NONE, () -> true));
    }

    @Test
    void aBalancedPairIsLeftAloneAndTheLastMoveIsNeverReversed() {
        placement.putAll(Map.of(1, "node-1", 2, "node-1", 3, "node-1", 4, "node-2"));
        assertEquals(1, rebalancer.round(List.of(node("node-1", 1, 3, 3), node("node-2", 1, 1, 1)), processes(true), busy(),
                MOSIX, () -> true));
        // Fresh heartbeats now report the move: 2 and 2.
        Instant later = T0.plusSeconds(5);
        now = later;
        List<Candidate> after = List.of(node("node-1", 1, 2, 2, 8192 * MIB, Map.of(), later),
                node("node-2", 1, 2, 2, 8192 * MIB, Map.of(), later));
        for (int i = 0; i < 20; i++) {
            now = now.plusSeconds(30);
            assertEquals(0, rebalancer.round(after, processes(true), busy(), MOSIX, () -> true));
        }
        assertEquals(1, events.stream().filter(e -> e.startsWith("MIGRATED")).count());
    }

    @Test
    void aProcessIsNotMovedAgainWithinTheMinimumInterval() {
        placement.putAll(Map.of(1, "node-1", 2, "node-1", 3, "node-1"));
        assertEquals(1, rebalancer.round(List.of(node("node-1", 1, 3, 3), node("node-2", 1, 0, 0)),
                processes(true), busy(), MOSIX, () -> true));
        int moved = placement.entrySet().stream().filter(e -> e.getValue().equals("node-2")).findFirst().orElseThrow().getKey();
        // Now node-2 is the crowded one (other work arrived), and the moved process is its only movable one.
        placement.keySet().removeIf(g -> g != moved);
        now = T0.plusSeconds(10);
        List<Candidate> crowded = List.of(node("node-1", 1, 0, 0, 8192 * MIB, Map.of(), now),
                node("node-2", 1, 4, 4, 8192 * MIB, Map.of(), now));
        assertEquals(0, rebalancer.round(crowded, processes(true), busy(), MOSIX, () -> true), "10 s < 20 s min interval");
        now = T0.plusSeconds(21);
        assertEquals(1, rebalancer.round(crowded, processes(true), busy(), MOSIX, () -> true), "after the interval it may move");
    }

    @Test
    void aRefusedMoveIsReportedAndNotRetriedWithinTheInterval() {
        placement.putAll(Map.of(1, "node-1", 2, "node-1", 3, "node-1"));
        refused.addAll(List.of(1, 2, 3));
        List<Candidate> nodes = List.of(node("node-1", 1, 3, 3), node("node-2", 1, 0, 0));
        assertEquals(0, rebalancer.round(nodes, processes(true), busy(), MOSIX, () -> true));
        assertTrue(events.contains("MIGRATION_FAILED 1 node-1->node-2"), events.toString());
        int attempts = events.size();
        now = T0.plusSeconds(5);
        rebalancer.round(nodes, processes(true), busy(), MOSIX, () -> true);
        assertTrue(events.size() > attempts, "the other processes are tried");
        assertTrue(events.stream().filter(e -> e.startsWith("MIGRATION_STARTED 1 ")).count() == 1, events.toString());
    }

    @Test
    void aNewLeaderHonoursTheIntervalsOfMovesTheOldOneMade() {
        placement.putAll(Map.of(1, "node-1", 2, "node-1"));
        rebalancer.resume(List.of(new SchedulerEvent("x", T0.minusSeconds(5), SchedulerEvent.Type.MIGRATION_STARTED, "cp-old",
                1, "node-2", "node-1", "mosix", "r"), new SchedulerEvent("y", T0.minusSeconds(5),
                SchedulerEvent.Type.MIGRATION_STARTED, "cp-old", 2, "node-2", "node-1", "mosix", "r")));
        assertEquals(0, rebalancer.round(List.of(node("node-1", 1, 2, 2), node("node-2", 1, 0, 0)), processes(true), busy(),
                MOSIX, () -> true));
    }

    @Test
    void nothingMovesOnceLeadershipIsLost() {
        placement.putAll(Map.of(1, "node-1", 2, "node-1", 3, "node-1"));
        assertEquals(0, rebalancer.round(List.of(node("node-1", 1, 3, 3), node("node-2", 1, 0, 0)), processes(true), busy(),
                MOSIX, () -> false));
        assertEquals(List.of(), events);
    }

    @Test
    void aProcessOnlyMovesToNodesWithTheLabelsItWasStartedWith() {
        placement.putAll(Map.of(1, "node-1", 2, "node-1", 3, "node-1", 4, "node-1"));
        constraints.putAll(Map.of(1, Map.of("zone", "a"), 2, Map.of("zone", "a"), 3, Map.of("zone", "a")));
        List<Candidate> nodes = List.of(node("node-1", 1, 4, 4, 8192 * MIB, Map.of("zone", "a"), T0),
                node("node-2", 1, 0, 0, 8192 * MIB, Map.of("zone", "b"), T0),
                node("node-3", 1, 1, 1, 8192 * MIB, Map.of("zone", "a"), T0));
        rebalancer.round(nodes, processes(true), busy(), MOSIX, () -> true);
        assertEquals("node-2", placement.get(4), "the unconstrained process takes the idle zone-b node");
        assertTrue(List.of(1, 2, 3).stream().noneMatch(g -> placement.get(g).equals("node-2")), placement.toString());
        assertTrue(List.of(1, 2, 3).stream().anyMatch(g -> placement.get(g).equals("node-3")), "zone a still balances");
    }

    @Test
    void memoryUsheringMovesTheLargestProcessToTheNodeThatStaysAboveTheMinimum() {
        Policy ushering = Policy.of(new SchedulerPolicy("least-loaded", "memory-ushering", null, 256 * MIB, 20.0, 2.0, null, null));
        placement.putAll(Map.of(1, "node-1", 2, "node-1"));
        Map<Integer, NodeUsage.Usage> usage = Map.of(1, new NodeUsage.Usage(0, 300 * MIB), 2, new NodeUsage.Usage(0, 50 * MIB));
        List<Candidate> nodes = List.of(node("node-1", 1, 0, 2, 100 * MIB, Map.of(), T0),
                node("node-2", 1, 0, 0, 400 * MIB, Map.of(), T0), node("node-3", 1, 0, 0, 2048 * MIB, Map.of(), T0));
        assertEquals(1, rebalancer.round(nodes, processes(true), usage, ushering, () -> true));
        assertEquals("node-3", placement.get(1), "the 300 MiB process goes where 256 MiB stay free");
        assertEquals("node-1", placement.get(2));
    }

    private List<ProcessInfo> processes(boolean canMigrate) {
        return placement.entrySet().stream().map(e -> process(e.getKey(), e.getValue(), canMigrate)).toList();
    }

    /** Every process burns CPU: on a crowded half core each gets a few percent. */
    private Map<Integer, NodeUsage.Usage> busy() {
        Map<Integer, NodeUsage.Usage> usage = new HashMap<>();
        placement.keySet().forEach(g -> usage.put(g, new NodeUsage.Usage(6.0, 10 * MIB)));
        return usage;
    }

    private Map<String, Long> perNode() {
        return placement.values().stream().collect(Collectors.groupingBy(n -> n, TreeMap::new, Collectors.counting()));
    }

}
