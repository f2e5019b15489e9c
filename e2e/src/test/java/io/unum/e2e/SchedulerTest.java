package io.unum.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unum.api.model.ProcessInfo;
import io.unum.api.model.SchedulerEvent;
import io.unum.api.model.SchedulerNode;
import io.unum.api.model.SchedulerPolicy;
import io.unum.api.model.SchedulerStatus;
import io.unum.api.model.SpawnRequest;
import io.unum.client.EventStream;
import io.unum.client.RawResponse;
import io.unum.testing.LocalCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The scheduler on real clusters: the policy changed through one replica and applied by the
 * other, bad policies refused with nothing written, label constraints, cgroup capacity and
 * per-agent load, and the balancer moving to the other replica when the leader dies.
 */
@Timeout(240)
class SchedulerTest extends ClusterTest {
    /** A CPU-bound program that runs until killed. */
    static final List<String> BURN = List.of("sh", "-c", "while :; do :; done");

    @Test
    void aPolicyChangedThroughOneReplicaIsAppliedByTheOtherWithinASecond() {
        cluster = LocalCluster.builder().controlPlanes(2).agents(3).build().start();
        Api first = new Api(cluster.controlPlane(0).httpUrl(), cluster.adminToken());
        Api second = new Api(cluster.controlPlane(1).httpUrl(), cluster.adminToken());
        assertEquals("least-loaded", policy(second).placement(), "the default");

        RawResponse set = first.put("/api/v1/scheduler/policy", new SchedulerPolicy("round-robin", "none", null, null, null,
                null, null, null));
        assertEquals(200, set.status(), set.body());
        Api.await(() -> policy(second), p -> p.placement().equals("round-robin"), Duration.ofSeconds(1),
                "the other replica's policy");

        Set<String> nodes = new HashSet<>();
        List<Integer> gpids = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ProcessInfo p = spawn(second, new SpawnRequest(List.of("sleep", "300"), null, null, null, null, null, null));
            nodes.add(p.node());
            gpids.add(p.gpid());
        }
        assertEquals(Set.of("node-1", "node-2", "node-3"), nodes, "round-robin takes every node in turn");

        // Every replica streams every replica's decisions.
        List<SchedulerEvent> seen = Api.await(() -> events(first), l -> gpids.stream().allMatch(g -> l.stream()
                .anyMatch(e -> e.type() == SchedulerEvent.Type.PLACED && g.equals(e.gpid()))), Duration.ofSeconds(5),
                "PLACED events on the first replica");
        SchedulerEvent placed = seen.stream().filter(e -> gpids.get(0).equals(e.gpid())).findFirst().orElseThrow();
        assertEquals("round-robin", placed.policy());
        assertEquals(status(second).replica(), placed.replica());
        assertTrue(seen.stream().anyMatch(e -> e.type() == SchedulerEvent.Type.POLICY_CHANGED
                && e.reason().contains("round-robin")), seen.toString());
    }

    @Test
    void badPoliciesAreRefusedWithAProblemAndNothingIsWritten() {
        cluster = LocalCluster.builder().controlPlanes(1).agents(1).build().start();
        Api api = new Api(cluster.apiUrl(), cluster.adminToken());
        assertEquals(200, api.put("/api/v1/scheduler/policy", new SchedulerPolicy("spread", "mosix", 1.0, null, 30.0, 3.0,
                null, null)).status());
        SchedulerPolicy before = policy(api);

        for (String bad : List.of("{\"placement\": \"fastest\"}", "{\"balancing\": \"mosix\", \"loadThreshold\": -1}",
                "{\"placement\": \"spread\", \"treshold\": 0.5}", "{\"probePeriodSeconds\": 0}", "not json")) {
            RawResponse r = api.putRaw("/api/v1/scheduler/policy", bad);
            assertEquals(400, r.status(), bad + " -> " + r.body());
            assertTrue(r.contentType().startsWith("application/problem+json"), r.contentType());
        }
        RawResponse unknown = api.putRaw("/api/v1/scheduler/policy", "{\"placement\": \"fastest\"}");
        assertTrue(unknown.json().path("detail").asText().contains("round-robin, least-loaded"), unknown.body());
        RawResponse viewer = api.as(cluster.viewerToken()).put("/api/v1/scheduler/policy",
                new SchedulerPolicy("binpack", null, null, null, null, null, null, null));
        assertEquals(403, viewer.status(), viewer.body());
        assertEquals(before, policy(api), "nothing was written");
    }

    @Test
    void constraintsPlaceOnLabelledNodesAndRefuseWhatNoNodeHas() {
        cluster = LocalCluster.builder().controlPlanes(1).agents(2).nodeLabels("node-2", Map.of("zone", "b", "disk", "ssd"))
                .build().start();
        Api api = new Api(cluster.apiUrl(), cluster.adminToken());
        Api.await(() -> schedulerNodes(api), l -> l.stream().anyMatch(n -> "b".equals(n.labels().get("zone"))),
                Duration.ofSeconds(10), "node-2's labels");
        for (int i = 0; i < 3; i++) {
            ProcessInfo p = spawn(api, new SpawnRequest(List.of("sleep", "300"), null, null, null, null, null, null,
                    Map.of("zone", "b")));
            assertEquals("node-2", p.node());
        }
        int count = api.processes().size();
        RawResponse none = api.post("/api/v1/processes", new SpawnRequest(List.of("true"), null, null, null, null, null, null,
                Map.of("zone", "z")));
        assertEquals(409, none.status(), none.body());
        assertTrue(none.json().path("detail").asText().contains("zone=z"), none.body());
        RawResponse wrongNode = api.post("/api/v1/processes", new SpawnRequest(List.of("true"), "node-1", null, null, null,
                null, null, Map.of("zone", "b")));
        assertEquals(409, wrongNode.status(), wrongNode.body());
        RawResponse malformed = api.post("/api/v1/processes", new SpawnRequest(List.of("true"), null, null, null, null, null,
                null, Map.of("zone", "a b")));
        assertEquals(400, malformed.status(), malformed.body());
        assertEquals(count, api.processes().size(), "refused spawns wrote nothing");
        Api.await(() -> events(api), l -> l.stream().anyMatch(e -> e.type() == SchedulerEvent.Type.PLACEMENT_REFUSED
                && e.reason().contains("zone=z")), Duration.ofSeconds(5), "the refusal in the decision log");
    }

    @Test
    void aCapacityIsEnforcedWithACgroupAndEachAgentReportsItsOwnLoad() {
        cluster = LocalCluster.builder().controlPlanes(1).agents(2).agentCapacity(0.5, 512L << 20).build().start();
        Api api = new Api(cluster.apiUrl(), cluster.adminToken());
        List<ProcessInfo> burners = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            burners.add(spawn(api, new SpawnRequest(BURN, "node-1", null, null, null, null, null)));
        }
        List<SchedulerNode> nodes = Api.await(() -> schedulerNodes(api), l -> byName(l, "node-1").load() >= 1.5,
                Duration.ofSeconds(20), "node-1 reporting its two burners");
        SchedulerNode one = byName(nodes, "node-1");
        assertEquals(0.5, one.cpuCapacity());
        assertTrue(one.enforcement().startsWith("cgroup-v"), one.enforcement());
        assertTrue(one.loadPerCore() >= 3, "2 runnable on half a core: " + one.loadPerCore());
        assertTrue(byName(nodes, "node-2").load() < 0.5, "the other agent on this machine is idle: " + nodes);
        // Together they get half a core, however many cores the machine has.
        Api.await(() -> burners.stream().mapToDouble(b -> usage(api, b.gpid())).sum(), c -> c > 30 && c < 65,
                Duration.ofSeconds(20), "CPU usage of the two burners held at half a core");
    }

    @Test
    void whenTheLeaderDiesTheOtherReplicaRunsTheBalancer() {
        cluster = LocalCluster.builder().controlPlanes(2).agents(2).agentCapacity(0.5, 0).build().start();
        Api first = new Api(cluster.controlPlane(0).httpUrl(), cluster.adminToken());
        Api second = new Api(cluster.controlPlane(1).httpUrl(), cluster.adminToken());
        assertEquals(200, first.put("/api/v1/scheduler/policy", new SchedulerPolicy("least-loaded", "mosix", 0.5, null, 3.0,
                1.0, null, null)).status());
        int leader = Api.await(() -> status(first).leader() ? 0 : status(second).leader() ? 1 : -1, i -> i >= 0,
                Duration.ofSeconds(15), "a leader");
        Api survivor = leader == 0 ? second : first;
        String oldReplica = status(leader == 0 ? first : second).replica();
        String newReplica = status(survivor).replica();
        burnOnNode1(survivor, 3);
        Api.await(() -> events(survivor), l -> l.stream().anyMatch(e -> e.type() == SchedulerEvent.Type.MIGRATION_STARTED
                && e.replica().equals(oldReplica)), Duration.ofSeconds(30), "the leader's balancing decision");

        cluster.controlPlane(leader).kill();
        Api.await(() -> status(survivor).leader(), l -> l, Duration.ofSeconds(30), "the survivor taking over");
        // New work on the crowded node gives the new leader something to decide, whether the old one's moves worked or not.
        burnOnNode1(survivor, 3);
        SchedulerEvent decided = Api.await(() -> events(survivor), l -> l.stream().anyMatch(e -> e.type()
                == SchedulerEvent.Type.MIGRATION_STARTED && e.replica().equals(newReplica)), Duration.ofSeconds(30),
                "a balancing decision of the new leader").stream().filter(e -> e.replica().equals(newReplica)
                        && e.type() == SchedulerEvent.Type.MIGRATION_STARTED).findFirst().orElseThrow();
        assertEquals("node-1", decided.fromNode());
        assertEquals("node-2", decided.toNode());
        assertTrue(decided.reason().contains("load per core"), decided.reason());
    }

    private void burnOnNode1(Api api, int count) {
        for (int i = 0; i < count; i++) {
            spawn(api, new SpawnRequest(BURN, "node-1", null, null, null, null, "+CAN_MIGRATE"));
        }
    }

    private ProcessInfo spawn(Api api, SpawnRequest request) {
        ProcessInfo p = api.spawn(request);
        started.add(p.gpid());
        return p;
    }

    static SchedulerPolicy policy(Api api) {
        return api.client().policy();
    }

    static SchedulerStatus status(Api api) {
        return api.client().schedulerStatus();
    }

    static List<SchedulerNode> schedulerNodes(Api api) {
        return api.client().schedulerNodes();
    }

    static SchedulerNode byName(List<SchedulerNode> nodes, String name) {
        return nodes.stream().filter(n -> n.name().equals(name)).findFirst().orElseThrow();
    }

    static double usage(Api api, int gpid) {
        Double cpu = api.process(gpid).cpuPercent();
        return cpu == null ? 0 : cpu;
    }

    /** The decisions the replica still keeps: its event stream without following. */
    static List<SchedulerEvent> events(Api api) {
        List<SchedulerEvent> events = new ArrayList<>();
        try (EventStream<SchedulerEvent> stream = api.client().schedulerEvents(false)) {
            stream.forEach(events::add);
        }
        return events;
    }
}
