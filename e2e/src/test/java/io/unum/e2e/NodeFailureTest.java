package io.unum.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unum.api.model.NodeInfo;
import io.unum.api.model.NodeState;
import io.unum.api.model.ProcessInfo;
import io.unum.api.model.ProcessState;
import io.unum.api.model.SpawnRequest;
import io.unum.client.RawResponse;
import io.unum.testing.LocalCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A node whose agent dies turns DOWN and its processes LOST; when it comes back they are reconciled. */
@Timeout(180)
class NodeFailureTest {
    private static final Duration GRACE = Duration.ofSeconds(4);
    private LocalCluster cluster;
    private Api api;

    @BeforeEach
    void startCluster() throws Exception {
        cluster = LocalCluster.builder().controlPlanes(1).agents(2).downGrace(GRACE).build().start();
        api = new Api(cluster.apiUrl(), cluster.adminToken());
    }

    @AfterEach
    void stopCluster() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void killedAgentTurnsProcessesLostAndRestartReconcilesThem() throws Exception {
        Path marker = Files.createTempFile("unum-e2e", ".marker");
        Files.delete(marker);
        ProcessInfo survivor = api.spawn(new SpawnRequest(List.of("sleep", "300"), "node-1", null, null, null, null, null));
        // Ends while its agent is away: it waits for the marker file, then exits 5.
        ProcessInfo quitter = api.spawn(new SpawnRequest(List.of("sh", "-c",
                "while [ ! -e " + marker + " ]; do sleep 0.1; done; exit 5"), "node-1", null, "/", "root", null, null));
        ProcessInfo bystander = api.spawn(new SpawnRequest(List.of("sleep", "300"), "node-2", null, null, null, null, null));
        try {
            cluster.agent(0).kill();
            api.awaitProcess(survivor.gpid(), p -> p.state() == ProcessState.LOST, GRACE.plus(Duration.ofSeconds(10)));
            assertEquals(ProcessState.LOST, api.process(quitter.gpid()).state());
            assertEquals(ProcessState.RUNNING, api.process(bystander.gpid()).state(), "other nodes are untouched");
            NodeInfo down = api.nodes().stream().filter(n -> n.name().equals("node-1")).findFirst().orElseThrow();
            assertEquals(NodeState.DOWN, down.state());
            assertTrue(Files.exists(Path.of("/proc/" + survivor.localPid())), "the process itself kept running");

            RawResponse refused = api.post("/api/v1/processes",
                    new SpawnRequest(List.of("true"), "node-1", null, null, null, null, null));
            assertEquals(409, refused.status(), refused.body());
            assertTrue(refused.json().path("detail").asText().contains("DOWN"));

            Files.createFile(marker);
            Api.await(() -> Files.exists(Path.of("/proc/" + quitter.localPid())), alive -> !alive,
                    Duration.ofSeconds(10), "quitter ends");
            cluster.agent(0).restart();
            api.awaitProcess(survivor.gpid(), p -> p.state() == ProcessState.RUNNING, Duration.ofSeconds(30));
            ProcessInfo ended = api.awaitProcess(quitter.gpid(), p -> p.state() == ProcessState.EXITED, Duration.ofSeconds(30));
            assertEquals(5, ended.exitCode(), "the exit status that happened while the agent was away");
            Api.await(api::nodes, l -> l.stream().allMatch(n -> n.state() == NodeState.READY),
                    Duration.ofSeconds(15), "nodes READY");
            assertEquals(202, api.signal(survivor.gpid(), "TERM").status(), "it can be signalled again");
            assertEquals(15, api.awaitState(survivor.gpid(), ProcessState.EXITED).exitSignal());
        } finally {
            Files.deleteIfExists(marker);
            api.signal(bystander.gpid(), "KILL");
        }
    }
}
