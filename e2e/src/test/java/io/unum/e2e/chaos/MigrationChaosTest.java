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

/**
 * Never lost, never twice: 30 migrations (stop-and-copy, post-copy, checkpoint+restart) of tagged
 * counters, each with an agent SIGKILLed at a random moment or the CRIU the source or the target
 * runs, plus the driving control plane killed once and etcd stopped for 5 s once. Seeded:
 * {@code -Dunum.chaos.seed=<seed>} replays a run's plan.
 *
 * <p>In the default suite (about 2-4 minutes here). Seed 4423105513009956616 had failed its end
 * audit: a checkpoint whose last write met the etcd outage left its process recorded RUNNING
 * with no copy; seed -6703964896699249637 found a half-restored tree left by a restore whose
 * CRIU was killed. Both are fixed, and both seeds pass.
 */
@Timeout(900)
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
