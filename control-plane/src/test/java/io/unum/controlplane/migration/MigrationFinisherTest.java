package io.unum.controlplane.migration;

import static io.unum.controlplane.migration.FakeParts.GPID;
import static io.unum.controlplane.migration.FakeParts.T0;
import static io.unum.controlplane.migration.FakeParts.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.unum.api.grpc.DescribeProcessResponse;
import io.unum.api.grpc.ExitStatus;
import io.unum.api.grpc.Presence;
import io.unum.api.model.MigrationInfo;
import io.unum.api.model.MigrationState;
import io.unum.api.model.NodeState;
import io.unum.api.model.ProcessState;
import java.time.InstantSource;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The rules that end a migration after a failure, against fake records, nodes and agents. */
class MigrationFinisherTest {
    private final FakeParts.Ledger ledger = new FakeParts.Ledger();
    private final FakeParts.Nodes nodes = new FakeParts.Nodes();
    private final FakeParts.Agents agents = new FakeParts.Agents();
    private final MigrationFinisher finisher = new MigrationFinisher(ledger, nodes, agents, new SimpleMeterRegistry(),
            InstantSource.fixed(T0));
    private int pauses;
    private Runnable onPause = () -> { };

    @BeforeEach
    void setUp() {
        finisher.pause = d -> {
            pauses++;
            onPause.run();
        };
        ledger.process = FakeParts.running("node-1", 500);
    }

    private MigrationInfo migration(MigrationState state) {
        MigrationInfo m = FakeParts.migration("m-1", state, "replica-a");
        ledger.migrations.put(m.id(), m);
        return m;
    }

    private static DescribeProcessResponse says(Presence presence, int pid, String imageId, String... images) {
        return DescribeProcessResponse.newBuilder().setPresence(presence).setLocalPid(pid).setImageId(imageId)
                .addAllImages(List.of(images)).build();
    }

    private MigrationInfo end() {
        return ledger.migrations.get("m-1");
    }

    @Test
    void anAmbiguousRestoreWhoseTargetHoldsOurCopyCommitsAndReleases() {
        MigrationInfo m = migration(MigrationState.RESTORING);
        agents.on("node-2", "describe", () -> says(Presence.PRESENCE_HELD, 900, "m-1"));

        finisher.afterAmbiguousRestore(m, "the restore on node-2 failed: io exception", 50L);

        assertEquals(MigrationState.DONE, end().state(), end().toString());
        assertEquals("node-2", ledger.process.node());
        assertEquals(900, ledger.process.localPid());
        assertEquals(ProcessState.RUNNING, ledger.process.state());
        assertTrue(agents.calls.contains("release node-2"), agents.calls.toString());
        assertFalse(agents.calls.stream().anyMatch(c -> c.startsWith("restore node-1")), "the source never resumes: " + agents.calls);
        assertFalse(ledger.locked);
    }

    @Test
    void theSourceDoesNotResumeWhileTheTargetIsUnreachableButNotDown() {
        MigrationInfo m = migration(MigrationState.RESTORING);
        for (int i = 0; i < 5; i++) {
            agents.on("node-2", "describe", () -> failure("node-2", Status.Code.UNAVAILABLE));
        }
        onPause = () -> {
            assertFalse(agents.calls.stream().anyMatch(c -> c.startsWith("restore node-1")),
                    "no resume on the source while the target may hold a copy: " + agents.calls);
            if (pauses == 5) {
                nodes.set("node-2", NodeState.DOWN);
            }
        };

        finisher.afterAmbiguousRestore(m, "the restore on node-2 failed: io exception", null);

        // DOWN: its held copy, if any, stays stopped; the source resumes from the image.
        assertEquals(MigrationState.ROLLED_BACK, end().state(), end().toString());
        assertTrue(agents.calls.contains("restore node-1"), agents.calls.toString());
        assertEquals("node-1", ledger.process.node());
        assertEquals(700, ledger.process.localPid());
    }

    @Test
    void anAmbiguousRestoreTheTargetKnowsNothingOfIsDiscardedThenRolledBack() {
        MigrationInfo m = migration(MigrationState.RESTORING);
        agents.on("node-2", "describe", () -> says(Presence.PRESENCE_ABSENT, 0, ""));

        finisher.afterAmbiguousRestore(m, "the restore on node-2 failed: io exception", null);

        assertEquals(MigrationState.ROLLED_BACK, end().state());
        int discard = agents.calls.indexOf("discard node-2");
        int resume = agents.calls.indexOf("restore node-1");
        assertTrue(discard >= 0 && discard < resume, "discarded before the source resumes: " + agents.calls);
    }

    @Test
    void anAmbiguousDumpWhoseSourceSaysLeftResumesFromTheImage() {
        MigrationInfo m = migration(MigrationState.DUMPING);
        agents.on("node-1", "describe", () -> says(Presence.PRESENCE_DUMPING, 0, ""));
        agents.on("node-1", "describe", () -> says(Presence.PRESENCE_LEFT, 0, "", "m-1"));

        finisher.afterFailedDump(m, "the dump on node-1 failed: io exception");

        assertEquals(MigrationState.ROLLED_BACK, end().state(), end().toString());
        assertTrue(agents.calls.contains("restore node-1"), "resumed from the image: " + agents.calls);
        assertEquals(700, ledger.process.localPid(), "the record names the resumed copy");
        assertEquals(ProcessState.RUNNING, ledger.process.state());
        assertEquals(1, pauses, "asked again while it was DUMPING");
    }

    @Test
    void aFailedDumpWhoseSourceSaysRunningRollsBackWithoutRestoring() {
        MigrationInfo m = migration(MigrationState.DUMPING);
        agents.on("node-1", "describe", () -> says(Presence.PRESENCE_RUNNING, 500, ""));

        finisher.afterFailedDump(m, "the dump on node-1 failed: CRIU failed");

        assertEquals(MigrationState.ROLLED_BACK, end().state());
        assertFalse(agents.calls.stream().anyMatch(c -> c.startsWith("restore")), agents.calls.toString());
        assertEquals(ProcessState.RUNNING, ledger.process.state());
    }

    @Test
    void aProcessThatEndedDuringTheDumpEndsWithItsStatus() {
        MigrationInfo m = migration(MigrationState.DUMPING);
        agents.on("node-1", "describe", () -> DescribeProcessResponse.newBuilder().setPresence(Presence.PRESENCE_ENDED)
                .setExitStatus(ExitStatus.newBuilder().setCode(3)).build());

        finisher.afterFailedDump(m, "the dump on node-1 failed: io exception");

        assertEquals(MigrationState.FAILED, end().state());
        assertEquals(ProcessState.EXITED, ledger.process.state());
        assertEquals(3, ledger.process.exitCode());
        assertEquals(T0, ledger.process.endedAt(), "an ended record has an end time");
    }

    @Test
    void aSourceThatWentDownDuringTheTransferLeavesTheRecordLostWithARestartableCheckpoint() {
        MigrationInfo m = migration(MigrationState.TRANSFERRING);
        nodes.set("node-1", NodeState.DOWN);

        finisher.afterRefusedRestore(m, "the transfer to node-2 failed: UNAVAILABLE");

        assertEquals(MigrationState.FAILED, end().state());
        assertEquals(ProcessState.LOST, ledger.process.state(), "the record is kept");
        assertTrue(ledger.process.reason().contains("unum restart m-1"), ledger.process.reason());
        assertEquals("node-1", ledger.checkpoints.get("m-1").node());
        assertEquals(GPID, ledger.checkpoints.get("m-1").gpid());
    }

    @Test
    void aResumeRefusedBySourceWithoutTheImageKeepsTheRecordLostWithoutClaimingAnImage() {
        MigrationInfo m = migration(MigrationState.TRANSFERRING);
        agents.on("node-1", "restore", () -> failure("node-1", Status.Code.NOT_FOUND));
        agents.on("node-1", "describe", () -> says(Presence.PRESENCE_ABSENT, 0, ""));

        finisher.afterRefusedRestore(m, "the restore on node-2 failed: refused");

        assertEquals(MigrationState.FAILED, end().state());
        assertEquals(ProcessState.LOST, ledger.process.state(), "the record is kept");
        assertFalse(ledger.process.reason().contains("unum restart"), ledger.process.reason());
        assertFalse(ledger.checkpoints.containsKey("m-1"), "no checkpoint names an image that is not there");
    }

    @Test
    void aResumeRefusedBySourceThatStillHoldsTheImageKeepsItRestartable() {
        MigrationInfo m = migration(MigrationState.TRANSFERRING);
        agents.on("node-1", "restore", () -> failure("node-1", Status.Code.FAILED_PRECONDITION));
        agents.on("node-1", "describe", () -> says(Presence.PRESENCE_LEFT, 0, "", "m-1"));

        finisher.afterRefusedRestore(m, "the restore on node-2 failed: refused");

        assertEquals(ProcessState.LOST, ledger.process.state());
        assertTrue(ledger.process.reason().contains("unum restart m-1"), ledger.process.reason());
        assertEquals("node-1", ledger.checkpoints.get("m-1").node());
    }

    @Test
    void afterTheCommitTheReleaseIsRetriedAndNeverRolledBack() {
        MigrationInfo m = migration(MigrationState.RESTORING);
        agents.on("node-2", "release", () -> failure("node-2", Status.Code.UNAVAILABLE));
        agents.on("node-2", "release", () -> failure("node-2", Status.Code.DEADLINE_EXCEEDED));

        finisher.commitAndRelease(m, 900, 40L, 10L);

        assertEquals(MigrationState.DONE, end().state());
        assertEquals(3, agents.calls.stream().filter(c -> c.equals("release node-2")).count(), agents.calls.toString());
        assertFalse(agents.calls.stream().anyMatch(c -> c.startsWith("restore node-1")), agents.calls.toString());
        assertEquals("node-2", ledger.process.node());
    }

    @Test
    void aTargetDownAfterTheCommitEndsDoneAndLeavesTheReleaseToItsRegistration() {
        MigrationInfo m = migration(MigrationState.RESTORING);
        agents.on("node-2", "release", () -> failure("node-2", Status.Code.UNAVAILABLE));
        onPause = () -> nodes.set("node-2", NodeState.DOWN);

        finisher.commitAndRelease(m, 900, 40L, 10L);

        assertEquals(MigrationState.DONE, end().state());
        assertTrue(end().reason().contains("registers again"), end().reason());
        assertEquals("node-2", ledger.process.node());
        assertFalse(agents.calls.stream().anyMatch(c -> c.startsWith("restore node-1")), agents.calls.toString());
    }
}
