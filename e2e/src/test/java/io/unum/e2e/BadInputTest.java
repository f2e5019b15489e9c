package io.unum.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unum.api.model.ProcessInfo;
import io.unum.api.model.SpawnRequest;
import io.unum.client.RawResponse;
import io.unum.testing.LocalCluster;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Every kind of bad input gets a 4xx problem that says what to fix, and leaves no record behind. */
@Timeout(120)
class BadInputTest {
    private static LocalCluster cluster;
    private static Api api;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = LocalCluster.builder().controlPlanes(1).agents(1).build().start();
        api = new Api(cluster.apiUrl(), cluster.adminToken());
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static SpawnRequest argv(String... argv) {
        return new SpawnRequest(List.of(argv), null, null, null, null, null, null);
    }

    private static void assertProblem(RawResponse reply, int status, String detailContains) {
        assertEquals(status, reply.status(), reply.body());
        assertTrue(reply.contentType().startsWith("application/problem+json"), reply.contentType());
        String detail = reply.json().path("detail").asText();
        assertTrue(detail.contains(detailContains), "detail '" + detail + "' should mention '" + detailContains + "'");
    }

    /** Runs a bad spawn and checks that the process table did not grow. */
    private static void assertRefusedSpawn(Object body, int status, String detailContains) {
        int before = api.processes().size();
        assertProblem(api.post("/api/v1/processes", body), status, detailContains);
        assertEquals(before, api.processes().size(), "a refused spawn leaves no record");
    }

    @Test
    void emptyArgv() {
        assertRefusedSpawn(new SpawnRequest(List.of(), null, null, null, null, null, null), 400, "argv is empty");
    }

    @Test
    void binaryThatDoesNotExist() {
        assertRefusedSpawn(argv("/usr/bin/no-such-binary-unum"), 400, "no-such-binary-unum");
        assertRefusedSpawn(argv("no-such-binary-unum"), 400, "no-such-binary-unum");
    }

    @Test
    void cwdThatDoesNotExistOrIsRelative() {
        assertRefusedSpawn(new SpawnRequest(List.of("true"), null, null, "/no/such/dir", null, null, null), 400, "/no/such/dir");
        assertRefusedSpawn(new SpawnRequest(List.of("true"), null, null, "tmp", null, null, null), 400, "absolute");
    }

    @Test
    void unknownUser() {
        assertRefusedSpawn(new SpawnRequest(List.of("true"), null, null, null, "ghostuser", null, null), 400, "ghostuser");
    }

    @Test
    void unknownOrDownNode() {
        assertRefusedSpawn(new SpawnRequest(List.of("true"), "node-9", null, null, null, null, null), 404, "node-9");
    }

    @Test
    void unknownCapability() {
        assertRefusedSpawn(new SpawnRequest(List.of("true"), null, null, null, null, null, "+CAN_FLY"), 400, "CAN_FLY");
    }

    @Test
    void unknownParent() {
        assertRefusedSpawn(new SpawnRequest(List.of("true"), null, 2_000_000_000, null, null, null, null), 404, "2000000000");
    }

    @Test
    void oversizeArgvAndEnv() {
        List<String> huge = IntStream.range(0, 5000).mapToObj(i -> "x").toList();
        assertRefusedSpawn(new SpawnRequest(huge, null, null, null, null, null, null), 400, "at most");
        String big = "y".repeat(200_000);
        assertRefusedSpawn(argv("echo", big), 400, "bytes");
        Map<String, String> env = new HashMap<>();
        env.put("BIG", big);
        assertRefusedSpawn(new SpawnRequest(List.of("true"), null, null, null, null, env, null), 400, "bytes");
        assertRefusedSpawn(new SpawnRequest(List.of("true"), null, null, null, null, Map.of("BAD=NAME", "v"), null), 400, "BAD=NAME");
    }

    @Test
    void malformedJson() {
        int before = api.processes().size();
        assertProblem(api.postRaw("/api/v1/processes", "{\"argv\": [\"sleep\""), 400, "JSON");
        assertProblem(api.postRaw("/api/v1/processes", "{\"argv\": 42}"), 400, "JSON");
        assertEquals(before, api.processes().size());
    }

    @Test
    void unknownGpid() {
        assertProblem(api.get("/api/v1/processes/1999999999"), 404, "1999999999");
        assertProblem(api.get("/api/v1/processes/abc"), 404, "abc");
        assertProblem(api.signal(1999999999, "TERM"), 404, "1999999999");
        assertProblem(api.patch("/api/v1/processes/1999999999/capabilities", Map.of("effective", "+CAN_MIGRATE")), 404, "1999999999");
    }

    @Test
    void unknownSignal() {
        ProcessInfo p = api.spawn(List.of("sleep", "300"));
        try {
            assertProblem(api.signal(p.gpid(), "SIGFOO"), 400, "SIGFOO");
            assertProblem(api.signal(p.gpid(), "99"), 400, "99");
            assertEquals(io.unum.api.model.ProcessState.RUNNING, api.process(p.gpid()).state());
        } finally {
            api.signal(p.gpid(), "KILL");
        }
    }

    @Test
    void signalToAnEndedProcess() {
        ProcessInfo p = api.spawn(List.of("true"));
        api.awaitState(p.gpid(), io.unum.api.model.ProcessState.EXITED);
        assertProblem(api.signal(p.gpid(), "TERM"), 409, "EXITED");
    }

    @Test
    void unknownStateFilter() {
        assertProblem(api.get("/api/v1/processes?state=SLEEPING"), 400, "SLEEPING");
    }
}
