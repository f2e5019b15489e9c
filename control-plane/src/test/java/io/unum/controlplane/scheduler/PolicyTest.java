package io.unum.controlplane.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unum.api.model.SchedulerPolicy;
import io.unum.controlplane.error.UnumException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class PolicyTest {

    @Test
    void missingParametersTakeTheDefaults() {
        Policy p = Policy.of(new SchedulerPolicy("Binpack", "MOSIX", null, null, 5.0, null, null, null));
        assertEquals(Policy.PlacementKind.BINPACK, p.placement());
        assertEquals(Policy.BalancingKind.MOSIX, p.balancing());
        assertEquals(Duration.ofSeconds(5), p.minInterval());
        assertEquals(Duration.ofSeconds(2), p.probePeriod());
        assertEquals(new SchedulerPolicy("binpack", "mosix", 0.5, 256L << 20, 5.0, 2.0, null, null), p.toModel());
    }

    @Test
    void everyProblemIsNamedAtOnce() {
        UnumException e = assertThrows(UnumException.class, () -> Policy.of(
                new SchedulerPolicy("fastest", "mosix", -1.0, -5L, 1e9, 0.1, null, null)));
        for (String expected : new String[] {"unknown placement policy 'fastest'", "loadThreshold", "minFreeMemoryBytes",
                "minIntervalSeconds", "probePeriodSeconds", "round-robin"}) {
            assertTrue(e.getMessage().contains(expected), e.getMessage());
        }
        assertEquals(UnumException.Kind.INVALID_REQUEST, e.kind());
        assertEquals(400, e.kind().httpStatus());
    }

    @Test
    void noPolicyIsABadRequest() {
        assertEquals(UnumException.Kind.INVALID_REQUEST, assertThrows(UnumException.class, () -> Policy.of(null)).kind());
    }
}
