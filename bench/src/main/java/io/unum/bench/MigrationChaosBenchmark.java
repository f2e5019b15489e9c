package io.unum.bench;

import io.unum.testing.LocalCluster;
import io.unum.testing.chaos.ChaosReport;
import io.unum.testing.chaos.ChaosSettings;
import io.unum.testing.chaos.MigrationChaos;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Migration under faults, at length: the chaos driver of the e2e suite's MigrationChaosTest over
 * 200 migrations (stop-and-copy, post-copy, checkpoint+restart), each with an agent SIGKILLed at a
 * random moment, plus the driving control plane and etcd once each. Prints the figures: faults by
 * role and by phase, outcomes, lost and duplicated (both must be 0), and the seed.
 *
 * <p>Run: {@code ./mvnw -q -DskipTests install && ./mvnw -q -pl bench exec:java -Dbench=MigrationChaosBenchmark
 * -Dunum.chaos.migrations=200 [-Dunum.chaos.seed=<seed>]}. Exits 1 if it found a violation.
 */
public final class MigrationChaosBenchmark {
    private MigrationChaosBenchmark() {
    }

    public static void main(String[] args) {
        ChaosSettings settings = ChaosSettings.fromSystemProperties(200, Duration.ofHours(12));
        System.out.printf("machine: %d cores; migration chaos seed %d%n", Runtime.getRuntime().availableProcessors(), settings.seed());
        ChaosReport report;
        // Kept after the run (logs, etcd, agents' state): a violation is explained only by them.
        Path dir = Path.of("bench", "target", "chaos-" + Long.toUnsignedString(settings.seed(), 36));
        try (LocalCluster cluster = ChaosSettings.cluster().dir(dir).build().start()) {
            report = new MigrationChaos(cluster, settings).run();
            System.out.println(report.summary());
            System.out.println("logs in " + cluster.logDir());
        }
        if (!report.violations().isEmpty()) {
            System.exit(1);
        }
    }
}
