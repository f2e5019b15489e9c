package io.unum.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.unum.api.model.ProcessInfo;
import io.unum.api.model.ProcessState;
import io.unum.client.Json;
import io.unum.testing.LocalCluster;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Seeded random requests (paths near and far from the API's, methods, headers, bodies, every kind
 * of token) against a real cluster: no answer is 5xx, every 4xx is problem+json, nothing hangs.
 * Requests are ones an HTTP client sends (the refusals Netty and Quarkus make before any
 * application handler, listed in docs/design/security.md, are outside what can be asserted).
 * A failure prints the seed; {@code -Dunum.fuzz.seed=N} replays it, {@code -Dunum.fuzz.requests=N}
 * changes the count (default 2,000).
 */
@Timeout(900)
class FuzzTest {
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(20);
    private static final List<String> TEMPLATES = List.of(
            "/api/v1/processes", "/api/v1/processes/{gpid}", "/api/v1/processes/{gpid}/signal",
            "/api/v1/processes/{gpid}/capabilities", "/api/v1/processes/{gpid}/output",
            "/api/v1/processes/{gpid}/output/stream", "/api/v1/processes/{gpid}/migrate",
            "/api/v1/processes/{gpid}/checkpoints", "/api/v1/processes/events", "/api/v1/nodes", "/api/v1/nodes/{name}",
            "/api/v1/nodes/events", "/api/v1/migrations", "/api/v1/migrations/{id}", "/api/v1/migrations/{id}/events",
            "/api/v1/checkpoints", "/api/v1/checkpoints/{id}", "/api/v1/checkpoints/{id}/restart",
            "/api/v1/scheduler/policy", "/api/v1/scheduler/nodes", "/api/v1/scheduler/status",
            "/api/v1/scheduler/events", "/api/v1/session", "/api/v1/audit", "/api/v1", "/api", "/", "/index.html",
            "/q/health", "/q/openapi", "/q/metrics", "/q/nothing", "/assets/{id}.js");
    private static final List<String> METHODS = List.of("GET", "GET", "POST", "POST", "PUT", "PATCH", "DELETE", "HEAD",
            "OPTIONS", "TRACE", "FUZZ", "PROPFIND");
    private static final List<String> MEDIA_TYPES = List.of("application/json", "application/json; charset=utf-8",
            "text/plain", "application/xml", "*/*", "text/event-stream", "application/problem+json", "text/html",
            "multipart/form-data; boundary=x", "application/x-www-form-urlencoded", "garbage", "application/*");
    private static final List<String> FIELDS = List.of("argv", "node", "parentGpid", "cwd", "user", "env", "capabilities",
            "constraints", "signal", "effective", "permitted", "inheritableEffective", "inheritablePermitted", "force",
            "mode", "kill", "placement", "balancing", "capabilites", "unknown", "");

    private static LocalCluster cluster;
    private static Api admin;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = LocalCluster.builder().controlPlanes(1).agents(1).build().start();
        admin = new Api(cluster.apiUrl(), cluster.adminToken());
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void randomRequestsNeverGet5xxAndEveryRefusalIsAProblem() throws Exception {
        long seed = Long.getLong("unum.fuzz.seed", System.nanoTime());
        int count = Integer.getInteger("unum.fuzz.requests", 2000);
        System.out.println("FuzzTest seed " + seed + " (replay with -Dunum.fuzz.seed=" + seed + ")");
        Random random = new Random(seed);
        int gpid = admin.spawn(List.of("sleep", "600")).gpid();
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        List<String> failures = new ArrayList<>();
        int[] byClass = new int[6];
        try {
            for (int i = 0; i < count && failures.size() < 20; i++) {
                Request request = Request.random(random, gpid);
                String failure = check(http, request);
                if (failure != null) {
                    failures.add("#" + i + " " + request + ": " + failure);
                } else {
                    byClass[request.status / 100]++;
                }
            }
        } finally {
            killRunning();
        }
        assertTrue(failures.isEmpty(), failures.size() + " bad answers with seed " + seed
                + " (replay with -Dunum.fuzz.seed=" + seed + "):\n" + String.join("\n", failures));
        System.out.printf("FuzzTest: %d requests: %d 2xx, %d 3xx, %d 4xx%n", count, byClass[2], byClass[3], byClass[4]);
        assertEquals(200, admin.get("/api/v1/nodes").status(), "the control plane still answers");
    }

    /** Sends the request; null when the answer is fine, else what is wrong with it. */
    private static String check(HttpClient http, Request r) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(cluster.apiUrl() + r.target)).timeout(REQUEST_TIMEOUT)
                .method(r.method, r.body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(r.body));
        r.headers.forEach(b::header);
        HttpResponse<InputStream> response;
        try {
            response = http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (HttpTimeoutException e) {
            return "no answer within " + REQUEST_TIMEOUT;
        } catch (IOException e) {
            return "connection failed: " + e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
        r.status = response.statusCode();
        String contentType = response.headers().firstValue("Content-Type").orElse("");
        String body;
        try (InputStream in = response.body()) {
            // A stream (server-sent events) that opened is fine as it is; everything else is read.
            body = contentType.startsWith("text/event-stream") ? "" : new String(in.readNBytes(1 << 20), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return r.status + " whose body could not be read: " + e;
        }
        if (r.status >= 500) {
            return r.status + " " + contentType + " " + abbreviate(body);
        }
        if (r.status >= 400) {
            if (!contentType.startsWith("application/problem+json")) {
                return r.status + " is not problem+json but '" + contentType + "': " + abbreviate(body);
            }
            if (!r.method.equals("HEAD")) {
                JsonNode problem;
                try {
                    problem = Json.read(body, JsonNode.class);
                } catch (RuntimeException e) {
                    return r.status + " problem body is not JSON: " + abbreviate(body);
                }
                if (problem.path("status").asInt() != r.status || problem.path("detail").asText().isBlank()) {
                    return r.status + " problem without matching status or a detail: " + abbreviate(body);
                }
            }
        }
        return null;
    }

    private static void killRunning() {
        for (ProcessInfo p : admin.processes()) {
            if (p.state() == ProcessState.RUNNING) {
                admin.signal(p.gpid(), "KILL");
            }
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 300 ? s : s.substring(0, 300) + "…";
    }

    /** One random request; {@link #status} is filled in once answered. */
    private static final class Request {
        final String method;
        final String target;
        final Map<String, String> headers;
        final String body;
        int status;

        private Request(String method, String target, Map<String, String> headers, String body) {
            this.method = method;
            this.target = target;
            this.headers = headers;
            this.body = body;
        }

        static Request random(Random r, int gpid) {
            String method = pick(r, METHODS);
            Map<String, String> headers = new LinkedHashMap<>();
            switch (r.nextInt(5)) {
                case 0 -> { }
                case 1 -> headers.put("Authorization", "Bearer " + cluster.adminToken());
                case 2 -> headers.put("Authorization", "Bearer " + cluster.viewerToken());
                case 3 -> headers.put("Authorization", pick(r, List.of("Bearer", "Bearer ", "Basic YWRtaW46YWRtaW4=",
                        "Bearer " + cluster.joinToken(), "bearer " + cluster.adminToken(), "Bearer " + word(r, 40))));
                default -> headers.put("Authorization", "Bearer " + cluster.adminToken() + word(r, 1));
            }
            if (r.nextInt(3) == 0) {
                headers.put("Accept", pick(r, MEDIA_TYPES));
            }
            String body = null;
            if (!method.equals("GET") && !method.equals("HEAD") && r.nextInt(4) != 0) {
                body = body(r);
                headers.put("Content-Type", r.nextInt(4) == 0 ? pick(r, MEDIA_TYPES) : "application/json");
            }
            for (int i = r.nextInt(3); i > 0; i--) {
                headers.put("X-Fuzz-" + word(r, 1 + r.nextInt(8)), printable(r, r.nextInt(200)));
            }
            return new Request(method, target(r, gpid), headers, body);
        }

        private static String target(Random r, int gpid) {
            String path;
            if (r.nextInt(10) == 0) {
                StringBuilder p = new StringBuilder();
                for (int i = 1 + r.nextInt(5); i > 0; i--) {
                    p.append('/').append(encodedBytes(r, r.nextInt(12)));
                }
                path = r.nextInt(4) == 0 ? "/" + p : p.toString();
            } else {
                path = pick(r, TEMPLATES)
                        .replace("{gpid}", pick(r, List.of(Integer.toString(gpid), Integer.toString(gpid),
                                Integer.toString(r.nextInt()), "0", "-1", "2147483648", "99999999999999999999", word(r, 5),
                                encodedBytes(r, 4))))
                        .replace("{name}", pick(r, List.of("node-1", word(r, 6), encodedBytes(r, 3))))
                        .replace("{id}", pick(r, List.of(word(r, 8), "m-" + word(r, 8), encodedBytes(r, 5))));
                if (r.nextInt(8) == 0) {
                    String suffix = pick(r, List.of("/", "//", "/..", "/.%2e/", "/%00", "/x", "/%2F"));
                    path = path.endsWith("/") ? path + suffix.substring(1) : path + suffix;
                }
            }
            if (r.nextInt(3) == 0) {
                StringBuilder q = new StringBuilder("?");
                for (int i = 1 + r.nextInt(3); i > 0; i--) {
                    q.append(pick(r, List.of("limit", "state", "node", "user", "follow", "gpid", "stdoutOffset",
                            "stderrOffset", "format", word(r, 4)))).append('=')
                            .append(pick(r, List.of("0", "-5", "100", "RUNNING", "SLEEPING", "true", "maybe", "json",
                                    "9999999999999999999", encodedBytes(r, 6)))).append('&');
                }
                path += q;
            }
            return path;
        }

        private static String body(Random r) {
            return switch (r.nextInt(6)) {
                case 0 -> printable(r, r.nextInt(100));
                case 1 -> "";
                case 2 -> "{\"argv\": [\"fz-" + word(r, 6) + "\"" + (r.nextBoolean() ? "" : "]}");
                default -> Json.write(object(r, 0));
            };
        }

        /** A JSON object of known and unknown fields with values of any type (argv never names a real program). */
        private static Map<String, Object> object(Random r, int depth) {
            Map<String, Object> o = new LinkedHashMap<>();
            for (int i = r.nextInt(5); i > 0; i--) {
                String field = pick(r, FIELDS);
                o.put(field, field.equals("argv") ? argv(r) : value(r, depth));
            }
            return o;
        }

        /** argv in many shapes, never one that names a real program (a list always starts with "fz-"). */
        private static Object argv(Random r) {
            return switch (r.nextInt(4)) {
                case 0 -> List.of("fz-" + word(r, 6));
                case 1 -> List.of("fz-" + printable(r, 4), printable(r, r.nextInt(20)), word(r, 3));
                case 2 -> List.of();
                default -> pick(r, java.util.Arrays.asList(null, 42, true, "fz-" + word(r, 3), Map.of("fz", 1)));
            };
        }

        private static Object value(Random r, int depth) {
            return switch (r.nextInt(depth > 1 ? 7 : 9)) {
                case 0 -> null;
                case 1 -> r.nextBoolean();
                case 2 -> r.nextInt();
                case 3 -> r.nextLong() / (1 + r.nextInt(1000)) * 1.5;
                case 4 -> pick(r, List.of("+CAN_MIGRATE", "-CHECKPOINTABLE,+CAN_FLY", "KILL", "TERM", "root", "nobody",
                        "node-1", "POST_COPY", "/tmp", "least-loaded", ""));
                case 5 -> printable(r, r.nextInt(30));
                case 6 -> word(r, 1 + r.nextInt(10));
                case 7 -> java.util.Arrays.asList(value(r, depth + 1), value(r, depth + 1));
                default -> object(r, depth + 1);
            };
        }

        private static String word(Random r, int length) {
            StringBuilder s = new StringBuilder();
            for (int i = 0; i < length; i++) {
                s.append((char) ('a' + r.nextInt(26)));
            }
            return s.toString();
        }

        private static String printable(Random r, int length) {
            StringBuilder s = new StringBuilder();
            for (int i = 0; i < length; i++) {
                s.append((char) (0x21 + r.nextInt(0x7E - 0x21)));
            }
            return s.toString();
        }

        /** Random bytes, percent-encoded as a client must send them. */
        private static String encodedBytes(Random r, int length) {
            byte[] bytes = new byte[length];
            r.nextBytes(bytes);
            return URLEncoder.encode(new String(bytes, StandardCharsets.ISO_8859_1), StandardCharsets.ISO_8859_1)
                    .replace("+", "%20");
        }

        private static <T> T pick(Random r, List<T> items) {
            return items.get(r.nextInt(items.size()));
        }

        @Override
        public String toString() {
            // Header values say what to replay; the token's is left out, as every secret is from logs.
            java.util.Map<String, String> shown = new java.util.LinkedHashMap<>();
            headers.forEach((k, v) -> shown.put(k, k.equalsIgnoreCase("Authorization") ? "…" : v));
            return method + " " + target + " " + shown + (body == null ? "" : " body " + abbreviate(body));
        }
    }
}
