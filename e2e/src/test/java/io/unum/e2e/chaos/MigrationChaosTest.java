package io.unum.e2e.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unum.testing.LocalCluster;
import io.unum.testing.chaos.ChaosReport;
import io.unum.testing.chaos.ChaosSettings;
import io.unum.testing.chaos.MigrationChaos;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Never lost, never twice: 30 migrations (stop-and-copy, post-copy, checkpoint+restart) of tagged
 * counters, each with an agent SIGKILLed at a random moment, plus the driving control plane killed
 * once and etcd stopped for 5 s once. Seeded: {@code -Dunum.chaos.seed=<seed>} replays a run.
 *
 * <p>Opt-in ({@code -Dunum.chaos=true}) until it has passed reliably within the suite's budget.
 * Its last run (2026-12-02, load average 12–21 on two cores, seed 4592427744058080984, one worker
 * per counter): 28 moves in 265 s, every fault role hit, 0 lost, 0 instants with two copies, no
 * violation; it failed only its count of 30 moves, as two workers died on a driver bug (waiting
 * with LocalCluster.awaitReadyNodes for a node another worker had killed), fixed after that run
 * and not re-run since.
 */
@Timeout(900)
@EnabledIfSystemProperty(named = "unum.chaos", matches = "true")
class MigrationChaosTest {
    @Test
    void noProcessIsLostOrRunsTwiceWhateverDiesWhenever() {
        ChaosSettings settings = ChaosSettings.fromSystemProperties(30, Duration.ofSeconds(360));
        System.out.println("migration chaos seed " + settings.seed());
        try (LocalCluster cluster = ChaosSettings.cluster().build().start()) {
            ChaosReport report = new MigrationChaos(cluster, settings).run();
            String figures = report.summary() + "\nlogs in " + cluster.logDir();
            assertTrue(report.migrations() >= settings.migrations(), figures);
            assertEquals(5, report.faultsByRole().keySet().size(), "every role was hit: " + figures);
            assertEquals(List.of(), report.violations(), figures);
        }
    }
}
