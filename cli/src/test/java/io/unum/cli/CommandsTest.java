package io.unum.cli;

import static io.unum.cli.Fixtures.process;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.unum.api.model.AuditAction;
import io.unum.api.model.AuditEntry;
import io.unum.api.model.NodeInfo;
import io.unum.api.model.NodeLoad;
import io.unum.api.model.NodeState;
import io.unum.api.model.OutputChunk;
import io.unum.api.model.ProcessState;
import io.unum.client.Json;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The commands run in-process against a fake of the REST API. */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class CommandsTest {
    @RegisterExtension
    final FakeUnum fake = new FakeUnum();

    @Test
    void sendsTheBearerToken() {
        fake.json("GET /api/v1/nodes", 200, List.of());
        Cli.Result r = Cli.against(fake).run("nodes");
        assertEquals(0, r.exit(), r.err());
        assertEquals("Bearer s3cret", fake.calls.get(0).header("Authorization"));
    }

    @Test
    void tokenAndUrlComeFromTheConfigFileWhenNotGiven(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("cli.properties");
        Files.writeString(file, "url=" + fake.url() + "\ntoken=from-file\n");
        fake.json("GET /api/v1/nodes", 200, List.of());
        Cli.Result r = new Cli().configFile(file).run("nodes");
        assertEquals(0, r.exit(), r.err());
        assertEquals("Bearer from-file", fake.calls.get(0).header("Authorization"));
    }

    @Test
    void urlOptionWorksAfterTheSubcommand() {
        fake.json("GET /api/v1/nodes", 200, List.of());
        Cli.Result r = new Cli().run("nodes", "--url", fake.url(), "--token", "opt");
        assertEquals(0, r.exit(), r.err());
        assertEquals("Bearer opt", fake.calls.get(0).header("Authorization"));
    }

    @Test
    void problemBodyIsPrintedAsTitleAndDetailWithExitOne() {
        fake.problem("GET /api/v1/processes/7/capabilities", 404, "Not Found", "process 7 does not exist");
        Cli.Result r = Cli.against(fake).run("caps", "7");
        assertEquals(1, r.exit());
        assertEquals("unum: Not Found: process 7 does not exist\n", r.err());
        assertEquals("", r.out());
    }

    @Test
    void errorWithoutProblemBodyUsesTheStatus() {
        fake.on("GET /api/v1/nodes", (ex, call) -> FakeUnum.send(ex, 502, "text/html", "<html>bad gateway</html>"));
        Cli.Result r = Cli.against(fake).run("nodes");
        assertEquals(1, r.exit());
        assertTrue(r.err().startsWith("unum: Bad Gateway: "), r.err());
    }

    @Test
    void connectionRefusedNamesTheUrlAndHowToStartACluster() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Cli.Result r = new Cli().env("UNUM_URL", "http://127.0.0.1:" + port).run("ps");
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("http://127.0.0.1:" + port), r.err());
        assertTrue(r.err().contains("bin/unum-dev up"), r.err());
    }

    @Test
    void nodesPrintsATableOrJson() throws Exception {
        NodeInfo n = new NodeInfo("n1", "127.0.0.1:7001", NodeState.READY, 4, 8L << 30,
                new NodeLoad(0.5, 10, 4L << 30, 3), null, null);
        fake.json("GET /api/v1/nodes", 200, List.of(n));
        Cli.Result table = Cli.against(fake).run("nodes");
        assertTrue(table.out().startsWith("NAME"), table.out());
        assertTrue(table.out().contains("8.0G"), table.out());
        Cli.Result json = Cli.against(fake).run("nodes", "--json");
        JsonNode tree = Json.MAPPER.readTree(json.out());
        assertEquals("n1", tree.get(0).get("name").asText());
    }

    @Test
    void auditPrintsWhoDidWhat() throws Exception {
        AuditEntry e = new AuditEntry("0001764683000000-1a2b3c4d", java.time.Instant.parse("2026-12-02T14:00:00Z"),
                "admin (token sha256:1a2b3c4d)", AuditAction.PRIVILEGED_SPAWN, 42, "node-1", List.of("sleep", "60"),
                "root", "+CAN_MIGRATE", "user root and capabilities asked for");
        fake.json("GET /api/v1/audit", 200, List.of(e));
        Cli.Result table = Cli.against(fake).run("audit", "-n", "5");
        assertEquals(0, table.exit(), table.err());
        assertTrue(table.out().startsWith("TIME"), table.out());
        assertTrue(table.out().contains("PRIVILEGED_SPAWN") && table.out().contains("sleep 60")
                && table.out().contains("root"), table.out());
        assertEquals("limit=5", fake.calls.get(0).query());
    }

    @Test
    void joinTokenCreatePrintsTheSecretAloneAndSendsTheTtlInSeconds() throws Exception {
        fake.json("POST /api/v1/join-tokens", 201, new io.unum.api.model.NewJoinToken("abc123",
                "abc123.0123456789abcdefghijklmn", java.time.Instant.parse("2026-12-02T15:00:00Z"), "sha256:" + "ab".repeat(32)));
        Cli.Result r = Cli.against(fake).run("join-token", "create", "--ttl", "30m");
        assertEquals(0, r.exit(), r.err());
        assertEquals("abc123.0123456789abcdefghijklmn\n", r.out());
        assertTrue(r.err().contains("abc123") && r.err().contains("2026-12-02T15:00:00Z"), r.err());
        assertTrue(r.err().contains("--ca-cert-hash sha256:" + "ab".repeat(32)), r.err());
        assertEquals(1800, Json.MAPPER.readTree(fake.calls.get(0).body()).get("ttlSeconds").asLong());

        Cli.Result bad = Cli.against(fake).run("join-token", "create", "--ttl", "soon");
        assertEquals(2, bad.exit(), bad.err());
        assertTrue(bad.err().contains("--ttl 'soon'"), bad.err());
        assertEquals(1, fake.calls.size(), "nothing sent for a malformed ttl");
    }

    @Test
    void joinTokenListShowsIdsAndExpiryAndDeleteSendsTheId() {
        fake.json("GET /api/v1/join-tokens", 200, List.of(new io.unum.api.model.JoinTokenInfo("abc123",
                java.time.Instant.parse("2026-12-02T14:00:00Z"), java.time.Instant.parse("2026-12-02T15:00:00Z"),
                "admin (token sha256:1a2b3c4d)")));
        Cli.Result list = Cli.against(fake).run("join-token", "list");
        assertEquals(0, list.exit(), list.err());
        assertTrue(list.out().startsWith("ID") && list.out().contains("abc123") && list.out().contains("2026-12-02T15:00:00Z"),
                list.out());
        fake.on("DELETE /api/v1/join-tokens/abc123", (ex, call) -> FakeUnum.send(ex, 204, "application/json", ""));
        Cli.Result delete = Cli.against(fake).run("join-token", "delete", "abc123");
        assertEquals(0, delete.exit(), delete.err());
        assertEquals("DELETE", fake.calls.get(1).method());
    }

    @Test
    void runPrintsOnlyTheGpidAndSendsTheRequest() throws Exception {
        fake.json("POST /api/v1/processes", 201, process(42, ProcessState.PENDING, null, "sleep", "10"));
        Cli.Result r = Cli.against(fake).run("run", "--node", "n2", "--cap", "+CAN_MIGRATE", "-e", "A=1", "-e", "B=x=y",
                "--", "sleep", "10");
        assertEquals(0, r.exit(), r.err());
        assertEquals("42\n", r.out());
        assertEquals("", r.err());
        JsonNode body = Json.MAPPER.readTree(fake.calls.get(0).body());
        assertEquals("[\"sleep\",\"10\"]", body.get("argv").toString());
        assertEquals("n2", body.get("node").asText());
        assertEquals("+CAN_MIGRATE", body.get("capabilities").asText());
        assertEquals("x=y", body.get("env").get("B").asText());
        assertEquals("application/json", fake.calls.get(0).header("Content-Type"));
    }

    @Test
    void runSendsTheGroupAndTheNoNewPrivsOptOut() throws Exception {
        fake.json("POST /api/v1/processes", 201, process(44, ProcessState.PENDING, null, "true"));
        Cli.Result r = Cli.against(fake).run("run", "--group", "etl", "--allow-new-privs", "--", "true");
        assertEquals(0, r.exit(), r.err());
        JsonNode body = Json.MAPPER.readTree(fake.calls.get(0).body());
        assertEquals("etl", body.get("group").asText());
        assertEquals(false, body.get("noNewPrivs").booleanValue());

        Cli.Result plain = Cli.against(fake).run("run", "--", "true");
        assertEquals(0, plain.exit(), plain.err());
        JsonNode defaults = Json.MAPPER.readTree(fake.calls.get(1).body());
        assertTrue(defaults.get("noNewPrivs") == null || defaults.get("noNewPrivs").isNull(), "the server's default");
    }

    @Test
    void runPassesOptionsAfterTheProgramToIt() throws Exception {
        fake.json("POST /api/v1/processes", 201, process(43, ProcessState.PENDING, null, "ls", "-l"));
        Cli.Result r = Cli.against(fake).run("run", "ls", "-l", "--node", "x");
        assertEquals(0, r.exit(), r.err());
        JsonNode body = Json.MAPPER.readTree(fake.calls.get(0).body());
        assertEquals("[\"ls\",\"-l\",\"--node\",\"x\"]", body.get("argv").toString());
        assertTrue(body.get("node") == null || body.get("node").isNull());
    }

    @Test
    void runRejectsEmptyArgvAndMalformedEnvLocally() {
        assertEquals(2, Cli.against(fake).run("run").exit());
        Cli.Result r = Cli.against(fake).run("run", "-e", "NOEQUALS", "--", "true");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("NAME=VALUE"), r.err());
        assertTrue(fake.calls.isEmpty());
    }

    @Test
    void logsFollowWritesStdoutAndStderrBytesToTheirStreams() {
        byte[] binary = {(byte) 0xff, 0, 'a', '\n'};
        fake.on("GET /api/v1/processes/5/output/stream", (ex, call) -> {
            ex.getResponseHeaders().set("Content-Type", "text/event-stream");
            ex.sendResponseHeaders(200, 0);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(":keep-alive\n\n".getBytes(StandardCharsets.UTF_8));
                out.write(event(new OutputChunk("stdout", 0, b64("hello "))));
                out.flush();
                out.write(event(new OutputChunk("stderr", 0, b64("oops\n"))));
                out.write(event(new OutputChunk("stdout", 6, Base64.getEncoder().encodeToString(binary))));
                out.write(event(new OutputChunk("stdout", 6, Base64.getEncoder().encodeToString(binary)))); // repeated
            }
        });
        Cli.Result r = Cli.against(fake).run("logs", "-f", "5");
        assertEquals(0, r.exit(), r.err());
        byte[] expected = new byte[6 + binary.length];
        System.arraycopy("hello ".getBytes(StandardCharsets.UTF_8), 0, expected, 0, 6);
        System.arraycopy(binary, 0, expected, 6, binary.length);
        assertArrayEquals(expected, r.stdoutBytes());
        assertEquals("oops\n", r.err());
        FakeUnum.Call call = fake.calls.get(0);
        assertEquals("text/event-stream", call.header("Accept"));
        assertTrue(call.query().contains("stdoutOffset=0") && call.query().contains("stderrOffset=0"), call.query());
    }

    @Test
    void logsWithoutFollowPrintsWhatWasCaptured() {
        fake.json("GET /api/v1/processes/5/output", 200,
                List.of(new OutputChunk("stdout", 0, b64("a\n")), new OutputChunk("stderr", 0, b64("b\n"))));
        Cli.Result r = Cli.against(fake).run("logs", "5");
        assertEquals(0, r.exit(), r.err());
        assertEquals("a\n", r.out());
        assertEquals("b\n", r.err());
    }

    @Test
    void runFollowPrintsTheGpidThenTheOutput() {
        fake.json("POST /api/v1/processes", 201, process(9, ProcessState.PENDING, null, "echo", "hi"));
        fake.on("GET /api/v1/processes/9/output/stream", (ex, call) -> {
            ex.sendResponseHeaders(200, 0);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(event(new OutputChunk("stdout", 0, b64("hi\n"))));
            }
        });
        Cli.Result r = Cli.against(fake).run("run", "--follow", "--", "echo", "hi");
        assertEquals(0, r.exit(), r.err());
        assertEquals("9\nhi\n", r.out());
    }

    @Test
    void logsFollowReportsAProblemBeforeTheStream() {
        fake.problem("GET /api/v1/processes/8/output/stream", 404, "Not Found", "process 8 does not exist");
        Cli.Result r = Cli.against(fake).run("logs", "-f", "8");
        assertEquals(1, r.exit());
        assertEquals("unum: Not Found: process 8 does not exist\n", r.err());
    }

    @Test
    void psShowsLiveProcessesByDefaultAndAllWithDashA() throws Exception {
        fake.json("GET /api/v1/processes", 200, List.of(
                process(1, ProcessState.RUNNING, 5.0, "sleep", "100"),
                process(2, ProcessState.EXITED, null, "false"),
                process(3, ProcessState.LOST, null, "sleep", "5")));
        Cli.Result live = Cli.against(fake).run("ps");
        assertEquals(0, live.exit(), live.err());
        String[] lines = live.out().split("\n");
        assertEquals(3, lines.length, live.out());
        assertTrue(lines[0].startsWith("GPID  NODE"), lines[0]);
        assertFalse(live.out().contains("EXITED"));

        Cli.Result all = Cli.against(fake).run("ps", "-a", "--node", "n1", "--user", "nobody");
        assertTrue(all.out().contains("EXITED(3)"), all.out());
        assertTrue(fake.calls.get(1).query().contains("node=n1"), fake.calls.get(1).query());
        assertTrue(fake.calls.get(1).query().contains("user=nobody"), fake.calls.get(1).query());

        Cli.Result json = Cli.against(fake).run("ps", "--json", "--state", "exited");
        assertEquals("state=EXITED", fake.calls.get(2).query());
        assertEquals(3, Json.MAPPER.readTree(json.out()).size());
    }

    @Test
    void topDrawsTotalsAndProcessesByCpu() {
        fake.json("GET /api/v1/nodes", 200, List.of(
                new NodeInfo("n1", "a", NodeState.READY, 4, 8L << 30, new NodeLoad(1.25, 50, 2L << 30, 2), null, null),
                new NodeInfo("n2", "b", NodeState.DOWN, 4, 8L << 30, null, null, null)));
        fake.json("GET /api/v1/processes", 200, List.of(
                process(1, ProcessState.RUNNING, 5.0, "low"),
                process(2, ProcessState.RUNNING, 90.0, "high"),
                process(3, ProcessState.EXITED, null, "gone")));
        Cli.Result r = Cli.against(fake).run("top", "-n", "2", "-d", "0.01");
        assertEquals(0, r.exit(), r.err());
        String frame = r.out().substring(r.out().lastIndexOf(ClientCommand.CLEAR_SCREEN) + ClientCommand.CLEAR_SCREEN.length());
        assertTrue(frame.contains("nodes: 1 ready, 1 down"), frame);
        assertTrue(frame.contains("load: 1.25"), frame);
        assertTrue(frame.contains("processes: 2 running"), frame);
        assertTrue(frame.indexOf("high") < frame.indexOf("low"), frame);
        assertFalse(frame.contains("gone"), frame);
        assertEquals(4, fake.calls.size());
    }

    @Test
    void helpOfEveryCommandHasExamples() {
        for (String cmd : List.of("nodes", "run", "ps", "top", "kill", "logs", "caps")) {
            Cli.Result r = new Cli().run(cmd, "--help");
            assertEquals(0, r.exit(), cmd);
            assertTrue(r.out().contains("Examples:"), cmd + ": " + r.out());
        }
    }

    private static byte[] event(OutputChunk chunk) {
        return ("data: " + FakeUnum.encode(chunk) + "\n\n").getBytes(StandardCharsets.UTF_8);
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }
}
