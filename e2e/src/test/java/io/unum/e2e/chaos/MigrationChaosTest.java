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
 * <p>Opt-in ({@code -Dunum.chaos=true}): it does not pass reliably yet. It passed on 2026-12-02
 * (seed 4057878741888980611: 30 moves, 0 lost, 0 instants with two copies), then, in the suite of
 * a fresh clone after the listening-server and agent-certificate work landed, lost all three
 * counters in 23 moves (seed -4518636307471187820): twice a post-copy move whose target agent
 * was killed mid-restore (the target's lazy-pages daemon fetched every page into its held copy,
 * so the source had neither process nor image, and the held copy was discarded when the target
 * registered again), and once the post-copy cancel an agent died in (fixed since: the cancel
 * mark). docs/benchmarks.md has the 200-move runs.
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
