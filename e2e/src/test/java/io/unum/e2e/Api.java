package io.unum.e2e;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.unum.api.model.MigrationInfo;
import io.unum.api.model.NodeInfo;
import io.unum.api.model.ProcessInfo;
import io.unum.api.model.ProcessState;
import io.unum.api.model.SpawnRequest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.Supplier;

/** A raw REST client for tests: every call returns status and body so tests can assert both. */
final class Api {
    static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    record Reply(int status, String contentType, String body) {
        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new UncheckedIOException("not JSON: " + body, e);
            }
        }

        <T> T as(Class<T> type) {
            try {
                return JSON.readValue(body, type);
            } catch (IOException e) {
                throw new UncheckedIOException("not a " + type.getSimpleName() + ": " + body, e);
            }
        }
    }

    private final String baseUrl;
    private final String token;

    Api(String baseUrl, String token) {
        this.baseUrl = baseUrl;
        this.token = token;
    }

    Api as(String otherToken) {
        return new Api(baseUrl, otherToken);
    }

    Reply get(String path) {
        return send(request(path).GET());
    }

    Reply post(String path, Object body) {
        return send(request(path).header("Content-Type", "application/json").POST(body(body)));
    }

    Reply postRaw(String path, String rawJson) {
        return send(request(path).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(rawJson)));
    }

    Reply put(String path, Object body) {
        return send(request(path).header("Content-Type", "application/json").PUT(body(body)));
    }

    Reply putRaw(String path, String rawJson) {
        return send(request(path).header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(rawJson)));
    }

    Reply patch(String path, Object body) {
        return send(request(path).header("Content-Type", "application/json").method("PATCH", body(body)));
    }

    ProcessInfo spawn(SpawnRequest request) {
        Reply reply = post("/api/v1/processes", request);
        if (reply.status() != 201) {
            throw new AssertionError("spawn failed: " + reply.status() + " " + reply.body());
        }
        return reply.as(ProcessInfo.class);
    }

    ProcessInfo spawn(List<String> argv) {
        return spawn(new SpawnRequest(argv, null, null, null, null, null, null));
    }

    ProcessInfo process(int gpid) {
        return get("/api/v1/processes/" + gpid).as(ProcessInfo.class);
    }

    List<ProcessInfo> processes() {
        try {
            return JSON.readValue(get("/api/v1/processes").body(), new TypeReference<>() { });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    List<NodeInfo> nodes() {
        try {
            return JSON.readValue(get("/api/v1/nodes").body(), new TypeReference<>() { });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Reply signal(int gpid, String signal) {
        return post("/api/v1/processes/" + gpid + "/signal", Map.of("signal", signal));
    }

    /** Polls the process until it matches, failing with its last state after the deadline. */
    ProcessInfo awaitProcess(int gpid, Predicate<ProcessInfo> condition, Duration timeout) {
        return await(() -> process(gpid), condition, timeout, "process " + gpid);
    }

    ProcessInfo awaitState(int gpid, ProcessState state) {
        return awaitProcess(gpid, p -> p.state() == state, Duration.ofSeconds(30));
    }

    static <T> T await(Supplier<T> probe, Predicate<T> condition, Duration timeout, String what) {
        Instant deadline = Instant.now().plus(timeout);
        T last = null;
        while (Instant.now().isBefore(deadline)) {
            last = probe.get();
            if (condition.test(last)) {
                return last;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted");
            }
        }
        throw new AssertionError(what + " did not reach the expected condition within " + timeout + "; last: " + last);
    }

    /** Starts a migration and waits until it ended; fails unless it was accepted (202). */
    MigrationInfo migrate(int gpid, String node) {
        return migrate(gpid, node, "STOP_AND_COPY");
    }

    MigrationInfo migrate(int gpid, String node, String mode) {
        Reply reply = post("/api/v1/processes/" + gpid + "/migrate", Map.of("node", node, "mode", mode));
        if (reply.status() != 202) {
            throw new AssertionError("migrate failed: " + reply.status() + " " + reply.body());
        }
        return awaitMigration(reply.as(MigrationInfo.class).id(), Duration.ofSeconds(120));
    }

    MigrationInfo migration(String id) {
        return get("/api/v1/migrations/" + id).as(MigrationInfo.class);
    }

    MigrationInfo awaitMigration(String id, Duration timeout) {
        return await(() -> migration(id), m -> m.state().isTerminal(), timeout, "migration " + id);
    }

    /** Everything the process printed to stdout that its node still keeps. */
    String stdout(int gpid) {
        StringBuilder out = new StringBuilder();
        for (JsonNode chunk : get("/api/v1/processes/" + gpid + "/output").json()) {
            if ("stdout".equals(chunk.path("stream").asText())) {
                out.append(new String(java.util.Base64.getDecoder().decode(chunk.path("data").asText()),
                        java.nio.charset.StandardCharsets.UTF_8));
            }
        }
        return out.toString();
    }

    /** Follows stdout from the start as server-sent events, in the background, until the stream ends. */
    Follower follow(int gpid) {
        Follower f = new Follower();
        HttpRequest request = request("/api/v1/processes/" + gpid + "/output/stream")
                .timeout(Duration.ofMinutes(10)).header("Accept", "text/event-stream").GET().build();
        f.done = HTTP.sendAsync(request, HttpResponse.BodyHandlers.ofLines()).thenAccept(r -> r.body().forEach(line -> {
            if (line.startsWith("data:")) {
                try {
                    JsonNode chunk = JSON.readTree(line.substring(5).trim());
                    if ("stdout".equals(chunk.path("stream").asText())) {
                        f.append(chunk.path("offset").asLong(), java.util.Base64.getDecoder().decode(chunk.path("data").asText()));
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }));
        return f;
    }

    /** What a follower received, with a check that chunks arrived contiguous and in order. */
    static final class Follower {
        private final java.io.ByteArrayOutputStream data = new java.io.ByteArrayOutputStream();
        private final List<String> gaps = new java.util.concurrent.CopyOnWriteArrayList<>();
        private java.util.concurrent.CompletableFuture<Void> done;

        synchronized void append(long offset, byte[] bytes) {
            if (offset != data.size()) {
                gaps.add("chunk at offset " + offset + " after " + data.size() + " bytes");
            }
            data.writeBytes(bytes);
        }

        /** Waits until the server ended the stream and returns everything received. */
        String await(Duration timeout) {
            try {
                done.get(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                throw new AssertionError("the output stream did not end within " + timeout + ": " + e, e);
            }
            if (!gaps.isEmpty()) {
                throw new AssertionError("output arrived out of order or with gaps/overlaps: " + gaps);
            }
            return text();
        }

        synchronized String text() {
            return data.toString(java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(30));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return b;
    }

    private static HttpRequest.BodyPublisher body(Object body) {
        try {
            return HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Reply send(HttpRequest.Builder request) {
        try {
            HttpResponse<String> r = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
            return new Reply(r.statusCode(), r.headers().firstValue("Content-Type").orElse(""), r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted");
        }
    }
}
