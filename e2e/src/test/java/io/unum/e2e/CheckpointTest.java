package io.unum.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unum.api.model.CheckpointInfo;
import io.unum.api.model.ProcessInfo;
import io.unum.api.model.ProcessState;
import io.unum.api.model.SpawnRequest;
import io.unum.client.RawResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Checkpoints with real CRIU, and restarts with the same gpid on another node. */
@Timeout(300)
class CheckpointTest extends ClusterTest {
    CheckpointTest() {
        super(2);
    }

    private ProcessInfo spawn(List<String> argv, String caps) {
        ProcessInfo p = api.spawn(new SpawnRequest(argv, "node-1", null, programs().dir.toString(), null, null, caps));
        started.add(p.gpid());
        return p;
    }

    private CheckpointInfo checkpoint(int gpid, boolean kill) {
        RawResponse r = api.post("/api/v1/processes/" + gpid + "/checkpoints", Map.of("kill", kill));
        assertEquals(201, r.status(), r.body());
        return r.as(CheckpointInfo.class);
    }

    private ProcessInfo restart(String id, String node) {
        RawResponse r = api.post("/api/v1/checkpoints/" + id + "/restart", Map.of("node", node));
        assertEquals(200, r.status(), r.body());
        return r.as(ProcessInfo.class);
    }

    @Test
    void aMultiThreadedProgramCheckpointedAndKilledRestartsOnAnotherNodeWithItsGpid() {
        List<String> argv = programs().java(250);
        ProcessInfo control = spawn(argv, "+CHECKPOINTABLE");
        ProcessInfo p = spawn(argv, "+CHECKPOINTABLE");
        Api.await(() -> api.stdout(p.gpid()).lines().count(), n -> n >= 20, Duration.ofSeconds(60), "ticks");

        CheckpointInfo c = checkpoint(p.gpid(), true);
        assertEquals(p.gpid(), c.gpid());
        assertEquals("node-1", c.node());
        assertTrue(c.imageBytes() > 0);
        assertTrue(c.syncMillis() != null && c.syncMillis() >= 0, "the image was forced to disk, and the record says how long it took: " + c);
        ProcessInfo stopped = api.awaitState(p.gpid(), ProcessState.EXITED);
        assertTrue(stopped.reason().contains(c.id()), stopped.reason());
        assertTrue(api.get("/api/v1/checkpoints").body().contains(c.id()), "listed");

        ProcessInfo again = restart(c.id(), "node-2");
        assertEquals(p.gpid(), again.gpid(), "the same gpid");
        assertEquals("node-2", again.node());
        assertEquals(ProcessState.RUNNING, again.state());
        ProcessInfo ended = api.awaitProcess(p.gpid(), q -> q.state() == ProcessState.EXITED && "node-2".equals(q.node()),
                Duration.ofSeconds(120));
        assertEquals(0, ended.exitCode());
        assertEquals(0, api.awaitProcess(control.gpid(), q -> q.state() == ProcessState.EXITED, Duration.ofSeconds(120)).exitCode());
        assertEquals(api.stdout(control.gpid()), api.stdout(p.gpid()), "the restarted run finished the work exactly");
    }

    @Test
    void aCheckpointLeavesTheProcessRunningAndRestartIsRefusedUntilItEnded() {
        ProcessInfo p = spawn(Programs.bashCounter(100_000), "+CHECKPOINTABLE");
        Api.await(() -> api.stdout(p.gpid()).lines().count(), n -> n >= 5, Duration.ofSeconds(30), "output");
        CheckpointInfo c = checkpoint(p.gpid(), false);
        assertEquals(ProcessState.RUNNING, api.process(p.gpid()).state(), "it runs on");

        RawResponse refused = api.post("/api/v1/checkpoints/" + c.id() + "/restart", Map.of("node", "node-2"));
        assertEquals(409, refused.status(), refused.body());
        assertTrue(refused.json().path("detail").asText().contains("still RUNNING"), refused.body());

        api.signal(p.gpid(), "KILL");
        api.awaitState(p.gpid(), ProcessState.EXITED);
        ProcessInfo again = restart(c.id(), "node-1");
        assertEquals(ProcessState.RUNNING, again.state());
        assertNotEquals(p.localPid(), again.localPid());
        long before = api.stdout(p.gpid()).lines().count();
        Api.await(() -> api.stdout(p.gpid()).lines().count(), n -> n > before + 5, Duration.ofSeconds(30), "it counts again");
    }

    @Test
    void aCorruptedImageIsRefusedByItsChecksum() throws Exception {
        ProcessInfo p = spawn(Programs.bashCounter(100_000), "+CHECKPOINTABLE");
        CheckpointInfo c = checkpoint(p.gpid(), true);
        api.awaitState(p.gpid(), ProcessState.EXITED);
        Path criu = cluster.agent("node-1").stateDir().resolve("images").resolve(c.id()).resolve("criu");
        Path pages;
        try (Stream<Path> files = Files.list(criu)) {
            pages = files.filter(f -> f.getFileName().toString().startsWith("pages-")).findFirst().orElseThrow();
        }
        Files.write(pages, new byte[] {1}, StandardOpenOption.APPEND);

        RawResponse sameNode = api.post("/api/v1/checkpoints/" + c.id() + "/restart", Map.of("node", "node-1"));
        assertEquals(409, sameNode.status(), sameNode.body());
        assertTrue(sameNode.json().path("detail").asText().contains("corrupt"), sameNode.body());
        RawResponse otherNode = api.post("/api/v1/checkpoints/" + c.id() + "/restart", Map.of("node", "node-2"));
        assertEquals(409, otherNode.status(), otherNode.body());
        assertTrue(otherNode.json().path("detail").asText().contains("checksum"), otherNode.body());
        assertEquals(ProcessState.EXITED, api.process(p.gpid()).state(), "nothing was started");
    }

    @Test
    void refusals() {
        ProcessInfo plain = spawn(List.of("sleep", "300"), "-CHECKPOINTABLE");
        RawResponse noCap = api.post("/api/v1/processes/" + plain.gpid() + "/checkpoints", Map.of());
        assertEquals(409, noCap.status(), noCap.body());
        assertTrue(noCap.contentType().startsWith("application/problem+json"));
        assertTrue(noCap.json().path("detail").asText().contains("CHECKPOINTABLE"), noCap.body());
        assertEquals(404, api.post("/api/v1/checkpoints/c-00000000/restart", Map.of()).status());
        assertEquals(404, api.get("/api/v1/checkpoints/nope").status());
        assertEquals(404, api.post("/api/v1/processes/999999/checkpoints", Map.of()).status());
        RawResponse viewer = api.as(cluster.viewerToken()).post("/api/v1/processes/" + plain.gpid() + "/checkpoints", Map.of());
        assertEquals(403, viewer.status(), viewer.body());
        assertTrue(api.get("/api/v1/checkpoints?gpid=" + plain.gpid()).json().isEmpty(), "nothing was written");
    }
}
