package io.unum.controlplane.scheduler;

import io.unum.api.model.SchedulerPolicy;
import io.unum.controlplane.error.UnumException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A policy the control plane can run: {@link SchedulerPolicy} with every parameter checked and
 * defaulted. {@link #of} is the only way in, so a bad policy never reaches etcd.
 */
public record Policy(PlacementKind placement, BalancingKind balancing, double loadThreshold, long minFreeMemoryBytes,
        Duration minInterval, Duration probePeriod) {

    static final Policy DEFAULT = of(SchedulerPolicy.DEFAULT);

    public enum PlacementKind {
        ROUND_ROBIN, LEAST_LOADED, MEMORY_AWARE, SPREAD, BINPACK;

        public String label() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    public enum BalancingKind {
        NONE, MOSIX, MEMORY_USHERING;

        public String label() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    /**
     * Checks and completes a policy as sent by a client; missing parameters take the defaults.
     *
     * @throws UnumException listing every problem, when there is one
     */
    public static Policy of(SchedulerPolicy p) {
        if (p == null) {
            throw UnumException.invalidRequest("send a policy, e.g. {\"placement\": \"least-loaded\", \"balancing\": \"mosix\"}");
        }
        SchedulerPolicy d = SchedulerPolicy.DEFAULT;
        List<String> problems = new ArrayList<>();
        PlacementKind placement = parse(PlacementKind.class, p.placement() == null ? d.placement() : p.placement(),
                "placement", SchedulerPolicy.PLACEMENTS, problems);
        BalancingKind balancing = parse(BalancingKind.class, p.balancing() == null ? d.balancing() : p.balancing(),
                "balancing", SchedulerPolicy.BALANCINGS, problems);
        double threshold = orDefault(p.loadThreshold(), d.loadThreshold());
        if (!(threshold > 0 && threshold <= 100)) {
            problems.add("loadThreshold must be above 0 and at most 100 (load per core), not " + threshold);
        }
        long minFree = p.minFreeMemoryBytes() == null ? d.minFreeMemoryBytes() : p.minFreeMemoryBytes();
        if (minFree < 0) {
            problems.add("minFreeMemoryBytes must not be negative, not " + minFree);
        }
        double interval = orDefault(p.minIntervalSeconds(), d.minIntervalSeconds());
        if (!(interval >= 0 && interval <= 86_400)) {
            problems.add("minIntervalSeconds must be between 0 and 86400, not " + interval);
        }
        double period = orDefault(p.probePeriodSeconds(), d.probePeriodSeconds());
        // The balancer ticks once a second (Quarkus' scheduler runs nothing more often).
        if (!(period >= 1 && period <= 3600)) {
            problems.add("probePeriodSeconds must be between 1 and 3600, not " + period);
        }
        if (!problems.isEmpty()) {
            throw UnumException.invalidRequest("invalid scheduler policy: " + String.join("; ", problems));
        }
        return new Policy(placement, balancing, threshold, minFree, seconds(interval), seconds(period));
    }

    /** The record as stored and shown, every parameter filled in. */
    public SchedulerPolicy toModel() {
        return new SchedulerPolicy(placement.label(), balancing.label(), loadThreshold, minFreeMemoryBytes,
                minInterval.toMillis() / 1000.0, probePeriod.toMillis() / 1000.0, null, null);
    }

    private static <E extends Enum<E>> E parse(Class<E> type, String name, String what, List<String> known,
            List<String> problems) {
        String normalized = name.trim().toUpperCase(Locale.ROOT).replace('-', '_');
        for (E e : type.getEnumConstants()) {
            if (e.name().equals(normalized)) {
                return e;
            }
        }
        problems.add("unknown " + what + " policy '" + name + "'; use one of " + known);
        return type.getEnumConstants()[0];
    }

    private static double orDefault(Double value, double fallback) {
        return value == null ? fallback : value;
    }

    private static Duration seconds(double s) {
        return Duration.ofMillis(Math.round(s * 1000));
    }
}
