package io.unum.controlplane.scheduler;

import static io.unum.controlplane.scheduler.Fixtures.MIB;
import static io.unum.controlplane.scheduler.Fixtures.T0;
import static io.unum.controlplane.scheduler.Fixtures.node;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unum.controlplane.error.UnumException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PlacementPoliciesTest {
    private static final Policy POLICY = Policy.DEFAULT;

    @Test
    void leastLoadedComparesLoadPerCore() {
        List<Candidate> nodes = List.of(node("a", 4, 2, 2), node("b", 1, 1, 1), node("c", 2, 1.5, 1));
        PlacementPolicy.Choice choice = new PlacementPolicies.LeastLoaded().choose(nodes, POLICY);
        assertEquals("a", choice.node().name(), "2 tasks on 4 cores beat 1 on 1 and 1.5 on 2");
        assertTrue(choice.reason().contains("a 0.50"), choice.reason());
    }

    @Test
    void roundRobinTakesTurnsAndSurvivesANodeLeaving() {
        PlacementPolicy rr = new PlacementPolicies.RoundRobin();
        List<Candidate> three = List.of(node("a", 1, 0, 0), node("b", 1, 0, 0), node("c", 1, 0, 0));
        List<String> chosen = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            chosen.add(rr.choose(three, POLICY).node().name());
        }
        assertEquals(List.of("a", "b", "c", "a"), chosen);
        assertEquals("c", rr.choose(List.of(node("a", 1, 0, 0), node("c", 1, 0, 0)), POLICY).node().name());
    }

    @Test
    void memoryAwarePicksMostFreeAndRefusesNodesBelowTheThreshold() {
        Policy policy = Policy.of(new io.unum.api.model.SchedulerPolicy("memory-aware", "none", null, 512 * MIB, null, null, null, null));
        List<Candidate> nodes = List.of(node("a", 1, 0, 0, 600 * MIB, Map.of(), T0), node("b", 1, 0, 0, 2000 * MIB, Map.of(), T0));
        assertEquals("b", new PlacementPolicies.MemoryAware().choose(nodes, policy).node().name());
        List<Candidate> tight = List.of(node("a", 1, 0, 0, 100 * MIB, Map.of(), T0), node("b", 1, 0, 0, 200 * MIB, Map.of(), T0));
        UnumException e = assertThrows(UnumException.class,
                () -> new PlacementPolicies.MemoryAware().choose(tight, policy));
        assertEquals(UnumException.Kind.NODE_UNAVAILABLE, e.kind());
        assertTrue(e.getMessage().contains("512 MiB"), e.getMessage());
    }

    @Test
    void spreadPicksFewestProcesses() {
        List<Candidate> nodes = List.of(node("a", 1, 0, 5), node("b", 1, 0.9, 2), node("c", 1, 0.1, 2));
        assertEquals("c", new PlacementPolicies.Spread().choose(nodes, POLICY).node().name());
    }

    @Test
    void binpackFillsTheFullestNodeThatHasRoomThenFallsBackToLeastLoaded() {
        PlacementPolicy binpack = new PlacementPolicies.Binpack();
        List<Candidate> nodes = List.of(node("a", 2, 1, 5), node("b", 2, 0, 1), node("c", 2, 2.5, 9));
        assertEquals("a", binpack.choose(nodes, POLICY).node().name(), "c has more processes but no idle core");
        List<Candidate> busy = List.of(node("a", 1, 1.5, 1), node("b", 1, 1.2, 1));
        assertEquals("b", binpack.choose(busy, POLICY).node().name());
    }
}
