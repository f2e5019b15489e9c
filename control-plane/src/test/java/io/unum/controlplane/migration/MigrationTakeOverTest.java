package io.unum.controlplane.migration;

import static io.unum.controlplane.migration.FakeParts.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.unum.api.model.MigrationInfo;
import io.unum.api.model.MigrationState;
import io.unum.controlplane.leader.LeaderState;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The leader takes a migration over as soon as its driver is gone, not after abandoned-after. */
class MigrationTakeOverTest {
    private final FakeParts.Ledger ledger = new FakeParts.Ledger();
    private final FakeParts.Agents agents = new FakeParts.Agents();
    private final MigrationFinisher finisher = new MigrationFinisher(ledger, new FakeParts.Nodes(), agents,
            new SimpleMeterRegistry(), InstantSource.fixed(T0));
    private Set<String> alive = Set.of("leader", "replica-a");

    private final DriverPresence presence = new DriverPresence() {
        @Override
        public String self() {
            return "leader";
        }

        @Override
        public boolean present(String replica) {
            return alive.contains(replica);
        }
    };
    private boolean leading = true;
    private final LeaderState leader = new LeaderState() {
        @Override
        public boolean isLeader() {
            return leading;
        }

        @Override
        public long term() {
            return 1;
        }
    };
    private final MigrationConfig config = new MigrationConfig() {
        @Override
        public Duration abandonedAfter() {
            return Duration.ofSeconds(60);
        }

        @Override
        public io.quarkus.runtime.configuration.MemorySize postCopyAbove() {
            return new io.quarkus.runtime.configuration.MemorySize(java.math.BigInteger.valueOf(32L << 20));
        }

        @Override
        public Duration retention() {
            return Duration.ofHours(1);
        }
    };
    private final MigrationRecovery recovery = new MigrationRecovery(ledger, null, finisher, presence, id -> false,
            leader, config, InstantSource.fixed(T0.plusSeconds(1)));

    private MigrationInfo migration(String driver) {
        MigrationInfo m = FakeParts.migration("m-1", MigrationState.RELEASING, driver);
        ledger.migrations.put(m.id(), m);
        ledger.process = FakeParts.running("node-2", 900);
        return m;
    }

    @Test
    void aMigrationWhoseDriverIsAliveIsLeftAlone() {
        recovery.recoverAbandoned(List.of(migration("replica-a")));

        assertEquals(MigrationState.RELEASING, ledger.migrations.get("m-1").state());
        assertEquals(List.of(), agents.calls);
    }

    @Test
    void aMigrationWhoseDriverKeyIsGoneIsTakenOverAtOnce() {
        MigrationInfo m = migration("replica-a");
        alive = Set.of("leader");

        // One second after its last write, far within abandoned-after.
        recovery.recoverAbandoned(List.of(m));

        MigrationInfo end = ledger.migrations.get("m-1");
        assertEquals(MigrationState.DONE, end.state(), end.toString());
        assertEquals("leader", end.driver());
        assertEquals(List.of("release node-2", "delete node-1", "delete node-2"), agents.calls);
    }

    @Test
    void aTakeOverOfOursThatWasInterruptedIsResumed() {
        recovery.recoverAbandoned(List.of(migration("leader")));

        assertEquals(MigrationState.DONE, ledger.migrations.get("m-1").state());
    }

    @Test
    void aReplicaThatIsNotLeaderFinishesItsOwnMigrationThatNoThreadDrivesAnyMore() {
        leading = false;
        recovery.recoverAbandoned(List.of(migration("leader")));

        MigrationInfo end = ledger.migrations.get("m-1");
        assertEquals(MigrationState.DONE, end.state(), "without waiting for abandoned-after: " + end);
    }

    @Test
    void aReplicaThatIsNotLeaderLeavesOthersMigrationsEvenWhenTheirDriverIsGone() {
        leading = false;
        MigrationInfo m = migration("replica-a");
        alive = Set.of("leader");

        recovery.recoverAbandoned(List.of(m));

        assertEquals(MigrationState.RELEASING, ledger.migrations.get("m-1").state());
        assertEquals(List.of(), agents.calls);
    }
}
