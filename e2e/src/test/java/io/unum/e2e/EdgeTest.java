package io.unum.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.unum.testing.LocalCluster;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The refusals made before JAX-RS sees a request (by Vert.x and Quarkus in front of it) are
 * problem+json that say what to fix, like every other refusal; unknown JSON fields are refused
 * on every endpoint; and the control plane listens on loopback only by default.
 */
@Timeout(120)
class EdgeTest {
    private static LocalCluster cluster;
    private static RawHttp http;
    private static Api api;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = LocalCluster.builder().controlPlanes(1).agents(1).build().start();
        http = new RawHttp(cluster.apiUrl());
        api = new Api(cluster.apiUrl(), cluster.adminToken());
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static Map<String, String> admin() {
        Map<String, String> h = new LinkedHashMap<>();
        h.put("Authorization", "Bearer " + cluster.adminToken());
        return h;
    }

    private static void assertProblem(RawHttp.Answer answer, int status, String detailContains) {
        assertEquals(status, answer.status(), answer.toString());
        assertTrue(answer.isProblem(), "not problem+json: " + answer);
        assertEquals(status, answer.json().path("status").asInt(), answer.toString());
        String detail = answer.json().path("detail").asText();
        assertTrue(detail.contains(detailContains), "detail '" + detail + "' should mention '" + detailContains + "'");
    }

    @Test
    void uriTooLong() throws IOException {
        assertProblem(http.send("GET /api/v1/processes?user=" + "a".repeat(5000) + " HTTP/1.1", admin()), 414, "4096");
    }

    @Test
    void headersTooLarge() throws IOException {
        Map<String, String> headers = admin();
        headers.put("X-Padding", "b".repeat(30_000));
        assertProblem(http.send("GET /api/v1/processes HTTP/1.1", headers), 431, "20480");
    }

    @Test
    void bodyTooLarge() throws IOException {
        Map<String, String> headers = admin();
        headers.put("Content-Type", "application/json");
        headers.put("Content-Length", "20000000");
        assertProblem(http.send("POST /api/v1/processes HTTP/1.1", headers), 413, "10485760");
    }

    @Test
    void unescapedCharactersInThePath() throws IOException {
        RawHttp.Answer answer = http.send(new String("GET /api/v1/processes/é HTTP/1.1".getBytes(StandardCharsets.UTF_8),
                StandardCharsets.ISO_8859_1), admin());
        assertProblem(answer, 400, "percent-encoded");
    }

    @Test
    void aTargetThatIsNotAUri() throws IOException {
        assertProblem(http.send("GET // HTTP/1.1", admin()), 400, "not a valid URI");
        assertProblem(http.send("PROPFIND /a/b|c HTTP/1.1", admin()), 400, "not a valid URI");
    }

    @Test
    void methodNotAllowedNamesTheMethodsThatAre() throws IOException {
        RawHttp.Answer answer = http.send("DELETE /api/v1/processes HTTP/1.1", admin());
        assertProblem(answer, 405, "GET, HEAD, OPTIONS, POST");
        assertEquals("GET, HEAD, OPTIONS, POST", answer.headers().get("allow"), answer.toString());
        answer = http.send("PROPFIND /api/v1/processes/42/signal HTTP/1.1", admin());
        assertProblem(answer, 405, "OPTIONS, POST");
        assertEquals("OPTIONS, POST", answer.headers().get("allow"), answer.toString());
    }

    @Test
    void notAcceptableAndUnsupportedMediaType() throws IOException {
        Map<String, String> html = admin();
        html.put("Accept", "text/html");
        assertProblem(http.send("GET /api/v1/nodes HTTP/1.1", html), 406, "Accept");
        byte[] body = "{\"argv\": [\"true\"]}".getBytes(StandardCharsets.UTF_8);
        Map<String, String> text = admin();
        text.put("Content-Type", "text/plain");
        text.put("Content-Length", Integer.toString(body.length));
        assertProblem(http.send("POST /api/v1/processes HTTP/1.1", text, body), 415, "application/json");
    }

    @Test
    void headOnAnEventStreamAnswersInsteadOfHoldingTheConnection() throws IOException {
        // Also spelled with a trailing slash or a dot segment, which JAX-RS routes to the same stream.
        for (String target : List.of("/api/v1/processes/events", "/api/v1/processes/events/",
                "/api/v1/nodes/x/../events//", "/api/v1/processes/1/output/stream/")) {
            RawHttp.Answer answer = http.send("HEAD " + target + " HTTP/1.1", admin());
            assertEquals(405, answer.status(), target + ": " + answer);
            assertTrue(answer.isProblem(), answer.toString());
            assertEquals("GET", answer.headers().get("allow"), answer.toString());
        }
    }

    @Test
    void metricsInAFormatTheyDoNotHave() throws IOException {
        assertProblem(http.send("GET /q/metrics HTTP/1.1", Map.of("Accept", "application/json")), 406, "Accept");
        assertEquals(200, http.send("GET /q/metrics HTTP/1.1", Map.of("Accept", "text/plain")).status());
        assertEquals(200, http.send("GET /q/metrics HTTP/1.1", Map.of("Accept", "*/*")).status());
        // Micrometer serves exact types only: a range is a problem+json 406 (FuzzTest seed 14348011488463).
        assertProblem(http.send("GET /q/metrics HTTP/1.1", Map.of("Accept", "application/*")), 406, "Accept");
    }

    @Test
    void malformedJson() throws IOException {
        byte[] body = "{\"argv\": [".getBytes(StandardCharsets.UTF_8);
        Map<String, String> headers = admin();
        headers.put("Content-Type", "application/json");
        headers.put("Content-Length", Integer.toString(body.length));
        assertProblem(http.send("POST /api/v1/processes HTTP/1.1", headers, body), 400, "JSON");
    }

    @Test
    void nothingAtThePath() throws IOException {
        assertProblem(http.send("GET /no/such/page HTTP/1.1", Map.of()), 404, "/api/v1");
        assertProblem(http.send("GET /api/v1/no-such-resource HTTP/1.1", admin()), 404, "/api/v1");
    }

    @Test
    void unknownFieldsAreRefusedOnEveryEndpoint() {
        int before = api.processes().size();
        RawHttpAssert.problem(api.postRaw("/api/v1/processes",
                "{\"argv\": [\"sleep\", \"60\"], \"capabilites\": \"+CAN_MIGRATE\"}"), 400, "capabilites");
        assertEquals(before, api.processes().size(), "the misspelt spawn started nothing");
        int gpid = api.spawn(List.of("sleep", "300")).gpid();
        try {
            RawHttpAssert.problem(api.postRaw("/api/v1/processes/" + gpid + "/signal",
                    "{\"signal\": \"TERM\", \"sginal\": \"KILL\"}"), 400, "sginal");
            RawHttpAssert.problem(api.client().raw("PATCH", "/api/v1/processes/" + gpid + "/capabilities",
                    "{\"efective\": \"+CAN_MIGRATE\"}"), 400, "efective");
            RawHttpAssert.problem(api.postRaw("/api/v1/processes/" + gpid + "/migrate",
                    "{\"node\": \"node-1\", \"mdoe\": \"POST_COPY\"}"), 400, "mdoe");
            RawHttpAssert.problem(api.putRaw("/api/v1/scheduler/policy", "{\"placment\": {}}"), 400, "placment");
        } finally {
            api.signal(gpid, "KILL");
        }
    }

    @Test
    void listensOnLoopbackOnly() throws Exception {
        Optional<InetAddress> other = Collections.list(NetworkInterface.getNetworkInterfaces()).stream()
                .filter(i -> {
                    try {
                        return i.isUp() && !i.isLoopback();
                    } catch (IOException e) {
                        return false;
                    }
                })
                .flatMap(i -> Collections.list(i.getInetAddresses()).stream())
                .filter(a -> a instanceof Inet4Address)
                .findFirst();
        assumeTrue(other.isPresent(), "this machine has no address but loopback");
        for (int port : List.of(URI.create(cluster.apiUrl()).getPort(),
                Integer.parseInt(cluster.controlPlane(0).grpcAddress().replaceAll(".*:", "")))) {
            assertThrows(IOException.class, () -> {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress(other.get(), port), 3000);
                }
            }, "port " + port + " answers on " + other.get() + "; it should listen on loopback only");
        }
        assertEquals(200, api.get("/api/v1/nodes").status(), "loopback still reaches it");
    }
}
