package io.unum.api.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * The cluster's scheduling policy: the record at {@code /unum/scheduler/policy} and the body of
 * {@code GET|PUT /api/v1/scheduler/policy}. In a PUT, a parameter left out takes its default;
 * {@code updatedAt} and {@code updatedBy} are set by the control plane. The control plane refuses
 * unknown fields, so that a misspelt parameter is an error rather than a silent default.
 *
 * @param placement where new processes go: one of {@link #PLACEMENTS}
 * @param balancing what moves running {@code CAN_MIGRATE} processes: one of {@link #BALANCINGS}
 * @param loadThreshold mosix: a node is overloaded when its load per core exceeds the cluster's by this much
 * @param minFreeMemoryBytes memory-aware: nodes with less free memory get no new process;
 *     memory-ushering: processes move off nodes that have less
 * @param minIntervalSeconds the shortest time between two moves of one process
 * @param probePeriodSeconds how often the balancer looks at the nodes
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SchedulerPolicy(
        @Schema(required = true) String placement,
        @Schema(required = true) String balancing,
        Double loadThreshold,
        Long minFreeMemoryBytes,
        Double minIntervalSeconds,
        Double probePeriodSeconds,
        Instant updatedAt,
        String updatedBy) {

    public static final List<String> PLACEMENTS = List.of("round-robin", "least-loaded", "memory-aware", "spread", "binpack");
    public static final List<String> BALANCINGS = List.of("none", "mosix", "memory-ushering");

    /** What a cluster runs before anyone set a policy: the foundation's least-loaded placement and no balancing. */
    public static final SchedulerPolicy DEFAULT = new SchedulerPolicy("least-loaded", "none", 0.5,
            256L * 1024 * 1024, 20.0, 2.0, null, null);

    public SchedulerPolicy stamped(Instant at, String by) {
        return new SchedulerPolicy(placement, balancing, loadThreshold, minFreeMemoryBytes, minIntervalSeconds,
                probePeriodSeconds, at, by);
    }
}
