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
 * counters, each with an agent SIGKILLed at a random moment or the CRIU the source or the target
 * runs, plus the driving control plane killed once and etcd stopped for 5 s once. Seeded:
 * {@code -Dunum.chaos.seed=<seed>} replays a run's plan.
 *
 * <p>Opt-in ({@code -Dunum.chaos=true}) until it passes reliably. On 2026-12-03 it passed the
 * runs of the day after its last fixes but one: in a fresh clone's suite (seed
 * 4423105513009956616) the end audit could not read a counter's output ("node node-3 no longer
 * holds output of process 2") after a move of it had rolled back; not diagnosed yet.
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
            assertEquals(6, report.faultsByRole().keySet().size(), "every role was hit: " + figures);
            assertEquals(List.of(), report.violations(), figures);
        }
    }
}
