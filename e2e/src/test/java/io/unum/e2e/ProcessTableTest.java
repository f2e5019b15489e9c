package io.unum.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unum.api.model.ProcessInfo;
import io.unum.api.model.ProcessState;
import io.unum.api.model.Signals;
import io.unum.client.RawResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The cluster-wide process table over three real agents. */
@Timeout(180)
class ProcessTableTest extends ClusterTest {
    ProcessTableTest() {
        super(3);
    }

    @Test
    void fiftyProcessesOnThreeNodesShareOneTableAndEndWithTheRightStatus() {
        for (int i = 0; i < 50; i++) {
            started.add(api.spawn(List.of("sleep", "300")).gpid());
        }
        assertEquals(50, new HashSet<>(started).size(), "gpids are distinct");
        Map<Integer, ProcessInfo> listed = api.processes().stream()
                .filter(p -> started.contains(p.gpid()))
                .collect(Collectors.toMap(ProcessInfo::gpid, p -> p));
        assertEquals(50, listed.size(), "all 50 appear in one list");
        assertTrue(listed.values().stream().allMatch(p -> p.state() == ProcessState.RUNNING && p.localPid() > 0));
        Set<String> nodes = listed.values().stream().map(ProcessInfo::node).collect(Collectors.toSet());
        assertEquals(Set.of("node-1", "node-2", "node-3"), nodes, "placement used every node");

        // A page at a time: every record once, in gpid order, the last page without a next token.
        List<Integer> paged = new java.util.ArrayList<>();
        String next = null;
        int pages = 0;
        do {
            io.unum.client.Page<ProcessInfo> page = api.client().processes(null, null, null, 7, next);
            assertTrue(page.items().size() <= 7, "a page holds at most limit records");
            page.items().forEach(q -> paged.add(q.gpid()));
            next = page.next().orElse(null);
            pages++;
        } while (next != null && pages < 1_000);
        assertEquals(api.processes().stream().map(ProcessInfo::gpid).toList(), paged, "paging gives the whole list");
        assertTrue(pages >= 8, "50 records at 7 a page took " + pages + " pages");
        for (String bad : List.of("limit=0", "limit=10001", "limit=x", "limit=5&continue=bm90LWEtdG9rZW4", "continue=!!")) {
            RawResponse refused = api.get("/api/v1/processes?" + bad);
            assertEquals(400, refused.status(), bad + ": " + refused.body());
            assertTrue(refused.contentType().startsWith("application/problem+json"), bad);
        }

        String[] signals = {"TERM", "KILL", "INT", "HUP", "USR1"};
        Map<Integer, Integer> expectedSignal = new java.util.HashMap<>();
        for (int i = 0; i < 25; i++) {
            int gpid = started.get(i);
            String sig = signals[i % signals.length];
            assertEquals(202, api.signal(gpid, sig).status());
            expectedSignal.put(gpid, Signals.parse(sig).orElseThrow());
        }
        expectedSignal.forEach((gpid, sig) -> {
            ProcessInfo ended = api.awaitState(gpid, ProcessState.EXITED);
            assertEquals(sig, ended.exitSignal(), "gpid " + gpid + " ended by its signal");
        });
        for (int i = 25; i < 50; i++) {
            assertEquals(ProcessState.RUNNING, api.process(started.get(i)).state(), "the other half still runs");
        }
    }

    @Test
    void exitCodesAndOutputAreKeptPerProcess() {
        ProcessInfo p = api.spawn(List.of("sh", "-c", "echo out-line; echo err-line >&2; exit 7"));
        started.add(p.gpid());
        ProcessInfo ended = api.awaitState(p.gpid(), ProcessState.EXITED);
        assertEquals(7, ended.exitCode());
        RawResponse output = api.get("/api/v1/processes/" + p.gpid() + "/output");
        assertEquals(200, output.status(), output.body());
        StringBuilder out = new StringBuilder();
        StringBuilder err = new StringBuilder();
        output.json().forEach(chunk -> {
            String text = new String(Base64.getDecoder().decode(chunk.get("data").asText()), StandardCharsets.UTF_8);
            ("stdout".equals(chunk.get("stream").asText()) ? out : err).append(text);
        });
        assertEquals("out-line\n", out.toString());
        assertEquals("err-line\n", err.toString());
    }

    @Test
    void processesRunAsAnUnprivilegedUserByDefault() {
        org.junit.jupiter.api.Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
                "switching users needs the agent to run as root");
        ProcessInfo p = api.spawn(List.of("sleep", "300"));
        started.add(p.gpid());
        // A uid of its own from unum.process.dynamic-ids (61184-65519), shown as the number.
        assertTrue(p.uid() != null && p.uid() >= 61184 && p.uid() <= 65519, p.toString());
        assertEquals(Integer.toString(p.uid()), p.user());
        String status = Api.await(() -> readStatus(p.localPid()), s -> s.contains("Uid:"), Duration.ofSeconds(10), "status");
        String uid = status.lines().filter(l -> l.startsWith("Uid:")).findFirst().orElseThrow().split("\\s+")[1];
        assertEquals(Integer.toString(p.uid()), uid);
    }

    @Test
    void listFiltersByNodeStateAndUser() {
        ProcessInfo p = api.spawn(new io.unum.api.model.SpawnRequest(List.of("sleep", "300"), "node-2", null, null, null,
                Map.of("SECRET", "hunter2"), null));
        started.add(p.gpid());
        assertEquals("node-2", p.node());
        assertEquals(List.of("SECRET"), p.envNames());
        assertTrue(!api.get("/api/v1/processes/" + p.gpid()).body().contains("hunter2"), "env values are never listed");
        String body = api.get("/api/v1/processes?node=node-2&state=RUNNING&user=" + p.user()).body();
        assertTrue(body.contains("\"gpid\":" + p.gpid()), body);
        String other = api.get("/api/v1/processes?node=node-1").body();
        assertTrue(!other.contains("\"gpid\":" + p.gpid() + ","), other);
    }

    private static String readStatus(int pid) {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + pid + "/status"));
        } catch (java.io.IOException e) {
            return "";
        }
    }
}
