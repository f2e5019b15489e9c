package io.unum.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unum.api.model.CheckpointInfo;
import io.unum.api.model.MigrationInfo;
import io.unum.api.model.MigrationState;
import io.unum.api.model.NodeState;
import io.unum.api.model.ProcessInfo;
import io.unum.api.model.ProcessState;
import io.unum.api.model.SpawnRequest;
import io.unum.client.RawResponse;
import io.unum.testing.LocalCluster;
import io.unum.testing.chaos.CriuProcesses;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Parties dying in the middle of a migration: afterwards exactly one copy of the process runs,
 * and a follower of its output has seen 0 lines lost and 0 doubled.
 */
@Timeout(300)
class MigrationFailureTest {
    private LocalCluster cluster;
    private Api api;
    private Integer gpid;

    private void start(int controlPlanes) {
        // A dead driver's migration must be taken over once its presence lease lapses (seconds):
        // the fallback for records without a live driver is pushed out of every wait here.
        cluster = LocalCluster.builder().controlPlanes(controlPlanes).agents(2).downGrace(Duration.ofSeconds(4))
                .controlPlaneProperty("unum.migration.abandoned-after", "10m").build().start();
        api = new Api(cluster.apiUrl(), cluster.adminToken());
    }

    @AfterEach
    void stop() throws Exception {
        if (cluster != null) {
            if (gpid != null) {
                String live = cluster.controlPlanes().stream().filter(cp -> cp.isAlive()).findFirst().orElseThrow().httpUrl();
                new Api(live, cluster.adminToken()).signal(gpid, "KILL");
            }
            cluster.close();
        }
    }

    /**
     * A Python counter holding 512 MiB of non-zero memory, so that dumping and sending its
     * image takes long enough to interfere with; tag makes its command line unique on this host.
     */
    private ProcessInfo bigCounter(String tag) {
        List<String> argv = List.of("python3", "-u", "-c", String.join("\n",
                "import os, time, sys",
                "blob = bytearray(os.urandom(1 << 20)) * 512",
                "i = 0",
                "while True:",
                "    print(i)",
                "    i += 1",
                "    time.sleep(0.02)"), tag);
        ProcessInfo p = api.spawn(new SpawnRequest(argv, "node-1", null, null, null, null, "+CAN_MIGRATE"));
        gpid = p.gpid();
        Api.await(() -> api.stdout(p.gpid()).lines().count(), n -> n >= 5, Duration.ofSeconds(60), "the counter prints");
        return p;
    }

    /** Host processes whose command line holds tag: the copies of the program that run. */
    private static long copiesRunning(String tag) {
        return copiesRunning(tag, "python3");
    }

    /** Host processes whose command line starts with program and holds tag, zombies aside. */
    private static long copiesRunning(String tag, String program) {
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            return procs.filter(p -> p.getFileName().toString().matches("\\d+")).filter(p -> {
                try {
                    String cmd = new String(Files.readAllBytes(p.resolve("cmdline"))).replace('\0', ' ');
                    String stat = Files.readString(p.resolve("stat"));
                    return cmd.startsWith(program) && cmd.contains(tag) && !stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
                } catch (IOException e) {
                    return false;
                }
            }).count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void assertCountsUp(String output) {
        List<String> lines = output.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            assertEquals(Integer.toString(i), lines.get(i), "line " + i + ": nothing lost, nothing doubled");
        }
    }

    private String startMigration(int gpid, String node) {
        return startMigration(gpid, node, "STOP_AND_COPY");
    }

    private String startMigration(int gpid, String node, String mode) {
        RawResponse r = api.post("/api/v1/processes/" + gpid + "/migrate", Map.of("node", node, "mode", mode));
        assertEquals(202, r.status(), r.body());
        return r.as(MigrationInfo.class).id();
    }

    @Test
    void killingTheTargetAgentMidTransferLeavesTheProcessRunningOnTheSource() {
        start(1);
        String tag = "tag-" + UUID.randomUUID();
        ProcessInfo p = bigCounter(tag);
        Api.Follower follower = api.follow(p.gpid());
        String id = startMigration(p.gpid(), "node-2");
        MigrationInfo transferring = Api.await(() -> api.migration(id), m -> m.state() == MigrationState.TRANSFERRING
                || m.state().isTerminal(), Duration.ofSeconds(60), "migration " + id);
        assertEquals(MigrationState.TRANSFERRING, transferring.state(), "caught it transferring: " + transferring);
        cluster.agent("node-2").kill();

        MigrationInfo end = api.awaitMigration(id, Duration.ofSeconds(120));
        assertEquals(MigrationState.ROLLED_BACK, end.state(), end.toString());
        assertTrue(end.reason().contains("node-2"), end.reason());
        ProcessInfo after = api.process(p.gpid());
        assertEquals(ProcessState.RUNNING, after.state());
        assertEquals("node-1", after.node());
        long before = api.stdout(p.gpid()).lines().count();
        Api.await(() -> api.stdout(p.gpid()).lines().count(), n -> n > before + 10, Duration.ofSeconds(30), "it goes on");
        assertEquals(1, copiesRunning(tag), "exactly one copy runs");

        api.signal(p.gpid(), "TERM");
        api.awaitState(p.gpid(), ProcessState.EXITED);
        assertCountsUp(follower.await(Duration.ofSeconds(60)));
    }

    /**
     * Never lost: the source dies mid-transfer and stays away past the grace, so neither node can
     * run the process and it is kept LOST in its image; once the source is back, the process runs
     * again from that image without anyone asking, once, its output whole.
     */
    @Test
    void aProcessKeptInItsImageWhileItsNodeWasDownRunsAgainWhenTheNodeComesBack() {
        start(1);
        String tag = "tag-" + UUID.randomUUID();
        ProcessInfo p = bigCounter(tag);
        String id = startMigration(p.gpid(), "node-2");
        MigrationInfo transferring = Api.await(() -> api.migration(id), m -> m.state() == MigrationState.TRANSFERRING
                || m.state().isTerminal(), Duration.ofSeconds(60), "migration " + id);
        assertEquals(MigrationState.TRANSFERRING, transferring.state(), "caught it transferring: " + transferring);
        cluster.agent("node-1").kill();

        MigrationInfo end = api.awaitMigration(id, Duration.ofSeconds(120));
        assertEquals(MigrationState.FAILED, end.state(), end.toString());
        ProcessInfo lost = api.process(p.gpid());
        assertEquals(ProcessState.LOST, lost.state(), lost.toString());
        assertTrue(lost.reason().contains("unum restart " + id), lost.reason());
        assertEquals(0, copiesRunning(tag), "no copy runs while its node is DOWN");

        cluster.agent("node-1").restart();
        ProcessInfo back = api.awaitProcess(p.gpid(), r -> r.state() == ProcessState.RUNNING, Duration.ofSeconds(60));
        assertEquals("node-1", back.node(), "restarted where its image is");
        long before = api.stdout(p.gpid()).lines().count();
        Api.await(() -> api.stdout(p.gpid()).lines().count(), n -> n > before + 10, Duration.ofSeconds(30), "it goes on");
        assertEquals(1, copiesRunning(tag), "exactly one copy runs");
        assertCountsUp(api.stdout(p.gpid()));
    }

    @Test
    void killingTheSourceAgentAfterTheSwitchLeavesItRunningOnTheTargetOnly() {
        start(1);
        String tag = "tag-" + UUID.randomUUID();
        ProcessInfo p = bigCounter(tag);
        Api.Follower follower = api.follow(p.gpid());
        assertEquals(MigrationState.DONE, api.migrate(p.gpid(), "node-2").state());
        cluster.agent("node-1").kill();
        cluster.awaitNodeState("node-1", "DOWN", Duration.ofSeconds(30));

        ProcessInfo after = api.process(p.gpid());
        assertEquals(ProcessState.RUNNING, after.state(), "its old node going DOWN does not touch it");
        assertEquals("node-2", after.node());
        RawResponse toDown = api.post("/api/v1/processes/" + p.gpid() + "/migrate", Map.of("node", "node-1"));
        assertEquals(409, toDown.status(), toDown.body());
        assertTrue(toDown.json().path("detail").asText().contains("DOWN"), toDown.body());
        cluster.agent("node-1").restart();
        cluster.awaitNodeState("node-1", "READY", Duration.ofSeconds(30));
        long before = api.stdout(p.gpid()).lines().count();
        Api.await(() -> api.stdout(p.gpid()).lines().count(), n -> n > before + 10, Duration.ofSeconds(30), "it goes on");
        assertEquals(1, copiesRunning(tag), "exactly one copy runs");
        assertEquals("node-2", api.process(p.gpid()).node());

        api.signal(p.gpid(), "TERM");
        api.awaitState(p.gpid(), ProcessState.EXITED);
        assertCountsUp(follower.await(Duration.ofSeconds(60)));
    }

    /**
     * Never lost: the source's CRIU, serving the pages of a post-copy move, is killed before any
     * restore took them. Its SIGKILL lets go of the tree; the fence keeps it stopped (a copy might
     * run on the target) until the control plane, whose restore on the target failed, resumes it:
     * the move rolls back and the process runs on where it was, its output whole, and CRIU's network
     * lock is not left behind.
     */
    @Test
    void aPostCopySourceWhoseCriuIsKilledBeforeTheRestoreRunsOnWhereItWas() throws Exception {
        start(1);
        String tag = "tag-" + UUID.randomUUID();
        ProcessInfo p = bigCounter(tag);
        Api.Follower follower = api.follow(p.gpid());
        long tablesBefore = criuTables();
        Path state = cluster.agent("node-1").stateDir();
        String id = startMigration(p.gpid(), "node-2", "POST_COPY");
        Path published = state.resolve("images").resolve(id);
        Api.await(() -> Files.isDirectory(published), ok -> ok, Duration.ofSeconds(60), "the image without pages is published");
        List<Long> criu = CriuProcesses.of(state);
        assertEquals(1, CriuProcesses.kill(criu), "the page server " + criu + " was there to kill");

        MigrationInfo end = api.awaitMigration(id, Duration.ofSeconds(120));
        assertEquals(MigrationState.ROLLED_BACK, end.state(), end.toString());
        ProcessInfo after = api.process(p.gpid());
        assertEquals(ProcessState.RUNNING, after.state(), after.toString());
        assertEquals("node-1", after.node());
        long before = api.stdout(p.gpid()).lines().count();
        Api.await(() -> api.stdout(p.gpid()).lines().count(), n -> n > before + 10, Duration.ofSeconds(30), "it goes on");
        assertEquals(1, copiesRunning(tag), "exactly one copy runs");
        Api.await(MigrationFailureTest::criuTables, n -> n <= tablesBefore, Duration.ofSeconds(30), "CRIU's network lock is removed");

        api.signal(p.gpid(), "TERM");
        api.awaitState(p.gpid(), ProcessState.EXITED);
        assertCountsUp(follower.await(Duration.ofSeconds(60)));
    }

    /**
     * Post-copy's price, paid honestly: after the switch the source's page server dies before
     * every page arrived. CRIU would leave the missing pages to read as zeros and the program run
     * on corrupt; the target's agent stops it as soon as the pages daemon fails, reads which pages
     * it lacks, ends it, and the record says it ended and why, down to the missing pages. (A
     * program that touches a missing page in the few milliseconds before the stop dies of SIGSEGV
     * first; this one leaves its cold memory alone.)
     */
    @Test
    void aPostCopyProcessWhoseSourceCriuDiesAfterTheSwitchIsStoppedAndSaysWhichPagesItLacked() throws Exception {
        start(1);
        String tag = "tag-" + UUID.randomUUID();
        try (Programs programs = new Programs()) {
            ProcessInfo p = api.spawn(new SpawnRequest(programs.cColdBlob(1536, tag), "node-1", null, null, null, null,
                    "+CAN_MIGRATE"));
            gpid = p.gpid();
            stopsAndSaysWhichPages(p, tag);
        }
    }

    private void stopsAndSaysWhichPages(ProcessInfo p, String tag) {
        Api.await(() -> api.stdout(p.gpid()).lines().count(), n -> n >= 5, Duration.ofSeconds(120), "the program prints");
        Path state = cluster.agent("node-1").stateDir();
        String id = startMigration(p.gpid(), "node-2", "POST_COPY");
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        MigrationState seen = MigrationState.PREPARING;
        while (seen != MigrationState.RELEASING && seen != MigrationState.DONE && !seen.isTerminal()
                && System.nanoTime() < deadline) {
            seen = api.migration(id).state();
        }
        assertTrue(seen == MigrationState.RELEASING || seen == MigrationState.DONE, "the switch happened: " + seen);
        // Once it runs on node-2 its hot pages have arrived; the cold gigabyte still streams in.
        long printed = api.stdout(p.gpid()).lines().count();
        Api.await(() -> api.stdout(p.gpid()).lines().count(), n -> n >= printed + 3, Duration.ofSeconds(30),
                "it runs on node-2");
        List<Long> criu = CriuProcesses.of(state);
        org.junit.jupiter.api.Assumptions.assumeTrue(CriuProcesses.kill(criu) > 0,
                "every page had arrived before the page server could be killed: nothing to show");

        ProcessInfo ended = api.awaitProcess(p.gpid(), r -> r.state().isTerminal(), Duration.ofSeconds(60));
        assertEquals(ProcessState.EXITED, ended.state(), ended.toString());
        assertEquals("node-2", ended.node());
        assertEquals(9, ended.exitSignal(), "ended by its agent: " + ended);
        assertTrue(ended.reason().contains("post-copy") && ended.reason().contains("memory"), ended.toString());
        assertTrue(ended.reason().matches(".*[1-9]\\d* of its \\d+ lazily restored pages \\(4 KiB\\) had not arrived, in \\d+ ranges: task \\d+ .*"),
                "it says which pages were missing: " + ended.reason());
        // The source's copy stays stopped (fenced) until the move's end reaches it, then goes too.
        Api.await(() -> copiesRunning(tag, "/"), n -> n == 0, Duration.ofSeconds(30),
                "no copy left with missing memory, and none on the source");
        // Nor the source tree's namespace init, stopped by the fence: it never reaped the program.
        String sourceDir = state.resolve("processes").resolve(Integer.toString(p.gpid())).toString();
        Api.await(() -> tasksNaming(sourceDir), n -> n == 0, Duration.ofSeconds(30), "nothing of the source tree is left");
        gpid = null;
    }

    /** Host processes, zombies aside, whose command line names text (e.g. a proc-dir: the tree's init). */
    private static long tasksNaming(String text) {
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            return procs.filter(p -> p.getFileName().toString().matches("\\d+")).filter(p -> {
                try {
                    String cmd = new String(Files.readAllBytes(p.resolve("cmdline"))).replace('\0', ' ');
                    String stat = Files.readString(p.resolve("stat"));
                    return cmd.contains(text) && !stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
                } catch (IOException e) {
                    return false;
                }
            }).count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** nftables tables CRIU made for its network locks on this host. */
    private static long criuTables() {
        try {
            Process nft = new ProcessBuilder("nft", "list", "tables").redirectErrorStream(true).start();
            String out = new String(nft.getInputStream().readAllBytes());
            nft.waitFor();
            return out.lines().filter(l -> l.startsWith("table inet CRIU-")).count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"STOP_AND_COPY", "POST_COPY"})
    void aControlPlaneDyingMidMigrationIsRecoveredByTheOther(String mode) {
        start(2);
        String tag = "tag-" + UUID.randomUUID();
        ProcessInfo p = bigCounter(tag);
        // Started through the first replica, which then dies while the process is being moved.
        String id = startMigration(p.gpid(), "node-2", mode);
        Api.await(() -> api.migration(id), m -> m.state() != MigrationState.PREPARING, Duration.ofSeconds(60), "migration " + id);
        cluster.controlPlane(0).kill();

        Api other = new Api(cluster.controlPlane(1).httpUrl(), cluster.adminToken());
        MigrationInfo end = other.awaitMigration(id, Duration.ofSeconds(120));
        assertTrue(end.state() == MigrationState.DONE || end.state() == MigrationState.ROLLED_BACK, end.toString());
        ProcessInfo after = other.process(p.gpid());
        assertEquals(ProcessState.RUNNING, after.state(), after.toString());
        assertEquals(end.state() == MigrationState.DONE ? "node-2" : "node-1", after.node());
        long before = other.stdout(p.gpid()).lines().count();
        Api.await(() -> other.stdout(p.gpid()).lines().count(), n -> n > before + 10, Duration.ofSeconds(30), "it goes on");
        assertEquals(1, copiesRunning(tag), "exactly one copy runs");
        assertTrue(other.get("/api/v1/processes/" + p.gpid()).status() == 200);
        assertEquals(202, other.signal(p.gpid(), "TERM").status(), "the lock is gone: it can be signalled");
        other.awaitState(p.gpid(), ProcessState.EXITED);
        assertCountsUp(other.stdout(p.gpid()));
        gpid = null;
        assertEquals(NodeState.READY, other.nodes().get(0).state());
    }

    /**
     * Never a record that lies: a checkpoint --kill whose dump went through but whose last write
     * (the checkpoint record, the process's end and the unlock, one transaction) met etcd down.
     * The replica answered 503 and lived on, its lock naming it, and the leader finishes only the
     * locks of replicas that are gone: the record said RUNNING on a node that held nothing but an
     * image of it, for ever (chaos seed 4423105513009956616, where the agent also died). Here the
     * checkpoint's CRIU is held stopped until etcd is down, so the last write always meets the outage.
     */
    @Test
    void aCheckpointWhoseLastWriteMeetsEtcdDownIsFinishedOnceEtcdIsBack() throws Exception {
        start(2);
        // Driven by a replica that is not the leader: the leader would finish a lock of its own.
        List<Api> replicas = cluster.controlPlanes().stream().map(cp -> new Api(cp.httpUrl(), cluster.adminToken())).toList();
        Api.await(() -> replicas.stream().filter(a -> a.client().schedulerStatus().leader()).count(), n -> n == 1,
                Duration.ofSeconds(30), "one leader");
        Api driver = replicas.stream().filter(a -> !a.client().schedulerStatus().leader()).findFirst().orElseThrow();
        String tag = "tag-" + UUID.randomUUID();
        ProcessInfo p = api.spawn(new SpawnRequest(List.of("python3", "-u", "-c", String.join("\n",
                "import os, time",
                "blob = bytearray(os.urandom(1 << 20)) * 64",
                "i = 0",
                "while True:",
                "    print(i)",
                "    i += 1",
                "    time.sleep(0.02)"), tag), "node-1", null, null, null, null, "+CAN_MIGRATE,+CHECKPOINTABLE"));
        gpid = p.gpid();
        Api.await(() -> api.stdout(p.gpid()).lines().count(), n -> n >= 5, Duration.ofSeconds(60), "the counter prints");
        Path state = cluster.agent("node-1").stateDir();

        CompletableFuture<RawResponse> checkpoint = CompletableFuture.supplyAsync(
                () -> driver.post("/api/v1/processes/" + p.gpid() + "/checkpoints", Map.of("kill", true)));
        long criu = 0;
        for (long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30); criu == 0 && System.nanoTime() < deadline; ) {
            criu = CriuProcesses.working(state).stream().filter(c -> c.imageId().startsWith("c-"))
                    .mapToLong(CriuProcesses.Criu::pid).findFirst().orElse(0);
        }
        assertTrue(criu != 0, "the checkpoint's criu dump was seen");
        signal("STOP", criu);
        ProcessHandle etcd = cluster.etcd().processHandle();
        Thread outage = new Thread(() -> cluster.restartEtcd(Duration.ofSeconds(10)), "etcd-outage");
        outage.start();
        Api.await(etcd::isAlive, alive -> !alive, Duration.ofSeconds(10), "etcd killed");
        signal("CONT", criu);

        RawResponse answered = checkpoint.get(60, TimeUnit.SECONDS);
        outage.join();
        assertTrue(answered.status() >= 500, "the checkpoint's last write met the outage: " + answered.status() + " "
                + answered.body());
        ProcessInfo ended = driver.awaitProcess(p.gpid(), r -> r.state() != ProcessState.RUNNING, Duration.ofSeconds(60));
        assertEquals(ProcessState.EXITED, ended.state(), ended.toString());
        assertEquals(0, copiesRunning(tag), "the checkpoint stopped it");
        String id = ended.reason().replaceAll(".*stopped by checkpoint (c-[0-9a-f]+).*", "$1");
        CheckpointInfo kept = api.get("/api/v1/checkpoints/" + id).as(CheckpointInfo.class);
        assertNotNull(kept, ended.reason());
        assertTrue(kept.killed(), kept.toString());

        RawResponse restarted = api.post("/api/v1/checkpoints/" + id + "/restart", Map.of("node", "node-2"));
        assertEquals(200, restarted.status(), restarted.body());
        long before = api.stdout(p.gpid()).lines().count();
        Api.await(() -> api.stdout(p.gpid()).lines().count(), n -> n > before + 10, Duration.ofSeconds(30), "it goes on");
        assertEquals(1, copiesRunning(tag), "exactly one copy runs");
        assertCountsUp(api.stdout(p.gpid()));
    }

    private static void signal(String signal, long pid) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
            assertEquals(0, kill.waitFor(), "kill -" + signal + " " + pid);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
