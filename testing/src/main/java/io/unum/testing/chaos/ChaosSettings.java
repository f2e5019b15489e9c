package io.unum.testing.chaos;

import io.unum.testing.LocalCluster;
import io.unum.testing.LocalClusterBuilder;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;

/**
 * What a chaos run does: its seed ({@code -Dunum.chaos.seed}, else a random one), how many
 * migrations ({@code -Dunum.chaos.migrations}), how many counters it moves, when faults hit
 * (0..maxFaultDelay after the operation starts), how long a killed agent stays dead (0..maxRestartDelay),
 * and how long the rounds may take in all.
 */
public record ChaosSettings(long seed, int migrations, int counters, Duration maxFaultDelay,
        Duration maxRestartDelay, Duration etcdOutage, Duration budget) {
    public static final String SEED_PROPERTY = "unum.chaos.seed";
    public static final String MIGRATIONS_PROPERTY = "unum.chaos.migrations";

    /** Rounds stop being started once budget has passed, so that a run that hangs still reports. */
    public static ChaosSettings fromSystemProperties(int defaultMigrations, Duration budget) {
        String s = System.getProperty(SEED_PROPERTY);
        long seed = s == null || s.isBlank() ? new SecureRandom().nextLong() : Long.parseLong(s.trim());
        int n = Integer.getInteger(MIGRATIONS_PROPERTY, defaultMigrations);
        return new ChaosSettings(seed, n, 3, Duration.ofMillis(1500), Duration.ofSeconds(10), Duration.ofSeconds(5), budget);
    }

    /**
     * The cluster a chaos run needs: two control planes (one to kill while it drives), three agents
     * (source, target, bystander), nodes DOWN after 3 s without a heartbeat (one a second, so that
     * a busy machine missing one is no fault), abandoned migrations taken over after 5 s.
     */
    public static LocalClusterBuilder cluster() {
        // C1 only and the serial collector: a killed agent or control plane is back in half the time on two busy cores.
        List<String> quickStart = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");
        return LocalCluster.builder().controlPlanes(2).agents(3).downGrace(Duration.ofSeconds(3))
                .agentJvmArgs(quickStart).controlPlaneJvmArgs(quickStart)
                .controlPlaneProperty("unum.node.heartbeat-interval", "1s")
                .controlPlaneProperty("unum.migration.abandoned-after", "5s");
    }
}
