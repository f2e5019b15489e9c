package io.unum.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unum.api.model.NodeState;
import io.unum.api.model.SchedulerEvent;
import io.unum.api.model.SchedulerNode;
import io.unum.api.model.SchedulerPolicy;
import io.unum.client.Json;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** unum policy, unum policy set, unum events and run --constraint against a fake of the REST API. */
class SchedulerCommandsTest {
    private static final SchedulerPolicy CURRENT = new SchedulerPolicy("least-loaded", "none", 0.5, 256L << 20, 20.0, 2.0,
            Instant.parse("2025-01-01T00:00:00Z"), "admin");
    @RegisterExtension
    final FakeUnum fake = new FakeUnum();

    @Test
    void policyShowsTheParametersAndTheNodesAsTheSchedulerSeesThem() {
        fake.json("GET /api/v1/scheduler/policy", 200, CURRENT)
                .json("GET /api/v1/scheduler/nodes", 200, List.of(new SchedulerNode("node-1", NodeState.READY,
                        Map.of("zone", "a"), 0.5, 512L << 20, "cgroup-v1", 4, 8, 100L << 20, 4)));
        Cli.Result r = Cli.against(fake).run("policy");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("placement       least-loaded"), r.out());
        assertTrue(r.out().contains("balancing       none"), r.out());
        assertTrue(r.out().matches("(?s).*node-1\\s+READY\\s+0\\.50\\s+4\\.00\\s+8\\.00.*cgroup-v1\\s+zone=a.*"), r.out());
    }

    @Test
    void policySetChangesOnlyWhatIsGiven() throws Exception {
        fake.json("GET /api/v1/scheduler/policy", 200, CURRENT)
                .on("PUT /api/v1/scheduler/policy", (ex, call) -> FakeUnum.send(ex, 200, "application/json", call.body()));
        Cli.Result r = Cli.against(fake).run("policy", "set", "--balancing", "mosix", "--min-interval", "5", "--min-free", "1G");
        assertEquals(0, r.exit(), r.err());
        SchedulerPolicy sent = Json.MAPPER.readValue(fake.calls("PUT", "/api/v1/scheduler/policy").get(0).body(),
                SchedulerPolicy.class);
        assertEquals(new SchedulerPolicy("least-loaded", "mosix", 0.5, 1L << 30, 5.0, 2.0, null, null), sent);
        assertTrue(r.out().contains("balancing       mosix"), r.out());
    }

    @Test
    void policySetWithoutOptionsIsAUsageError() {
        assertEquals(2, Cli.against(fake).run("policy", "set").exit());
        assertTrue(fake.calls.isEmpty());
    }

    @Test
    void aRefusedPolicyPrintsTheProblem() {
        fake.json("GET /api/v1/scheduler/policy", 200, CURRENT)
                .problem("PUT /api/v1/scheduler/policy", 400, "Bad Request", "unknown placement policy 'fastest'");
        Cli.Result r = Cli.against(fake).run("policy", "set", "--placement", "fastest");
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("unknown placement policy 'fastest'"), r.err());
    }

    @Test
    void eventsPrintsOneLinePerDecision() {
        SchedulerEvent e = new SchedulerEvent("1", Instant.parse("2025-01-01T10:00:00Z"), SchedulerEvent.Type.MIGRATED,
                "cp-1", 42, "node-1", "node-3", "mosix", "moved in 80 ms");
        fake.on("GET /api/v1/scheduler/events", (ex, call) -> FakeUnum.send(ex, 200, "text/event-stream",
                "data: " + Json.MAPPER.writeValueAsString(e) + "\n\n"));
        Cli.Result r = Cli.against(fake).run("events");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().matches("(?s).*MIGRATED\\s+42 node-1\\s+node-3\\s+mosix\\s+moved in 80 ms.*"), r.out());
        assertEquals("follow=false", fake.calls.get(0).query());
    }

    @Test
    void runSendsConstraints() throws Exception {
        fake.on("POST /api/v1/processes", (ex, call) -> FakeUnum.send(ex, 201, "application/json",
                Json.MAPPER.writeValueAsString(Fixtures.process(7, io.unum.api.model.ProcessState.RUNNING, null, "true"))));
        Cli.Result r = Cli.against(fake).run("run", "--constraint", "zone=b", "-c", "disk=ssd", "--", "true");
        assertEquals(0, r.exit(), r.err());
        String body = fake.calls("POST", "/api/v1/processes").get(0).body();
        assertTrue(body.contains("\"constraints\":{\"zone\":\"b\",\"disk\":\"ssd\"}"), body);
    }
}
