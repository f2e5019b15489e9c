package io.unum.cli.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import io.unum.api.model.Capabilities;
import io.unum.api.model.CapabilitiesUpdate;
import io.unum.api.model.CheckpointInfo;
import io.unum.api.model.CheckpointRequest;
import io.unum.api.model.MigrateRequest;
import io.unum.api.model.MigrationInfo;
import io.unum.api.model.MigrationMode;
import io.unum.api.model.NodeInfo;
import io.unum.api.model.OutputChunk;
import io.unum.api.model.Problem;
import io.unum.api.model.ProcessInfo;
import io.unum.api.model.RestartRequest;
import io.unum.api.model.SchedulerEvent;
import io.unum.api.model.SchedulerNode;
import io.unum.api.model.SchedulerPolicy;
import io.unum.api.model.SignalRequest;
import io.unum.api.model.SpawnRequest;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.function.Consumer;

/**
 * A thin client of the control plane's REST API ({@code /api/v1}). Every call either returns the
 * decoded body or throws {@link UnumApiException} (the server said no) or
 * {@link UnumUnreachableException} (nobody answered).
 */
public final class UnumClient {
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
    /** Checkpoints and restarts answer once CRIU is done, which takes long for big processes. */
    private static final Duration LONG_REQUEST_TIMEOUT = Duration.ofMinutes(10);
    private static final String JSON = "application/json";

    private final URI baseUrl;
    private final String token;
    private final HttpClient http;

    public UnumClient(URI baseUrl, String token) {
        this(baseUrl, token, HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(CONNECT_TIMEOUT)
                .build());
    }

    public UnumClient(URI baseUrl, String token, HttpClient http) {
        String s = baseUrl.toString();
        this.baseUrl = URI.create(s.endsWith("/") ? s.substring(0, s.length() - 1) : s);
        this.token = token == null || token.isBlank() ? null : token.trim();
        this.http = http;
    }

    public URI baseUrl() {
        return baseUrl;
    }

    // ---- nodes

    public List<NodeInfo> nodes() {
        return get("/api/v1/nodes", new TypeReference<>() { });
    }

    public NodeInfo node(String name) {
        return get("/api/v1/nodes/" + encode(name), new TypeReference<>() { });
    }

    // ---- processes

    /** Starts a process; returns its record (201). */
    public ProcessInfo spawn(SpawnRequest request) {
        return decode(send(request("/api/v1/processes").POST(body(request)).header("Content-Type", JSON)),
                new TypeReference<>() { });
    }

    /** The process table, sorted by gpid; null filters are left out. */
    public List<ProcessInfo> processes(String node, String state, String user) {
        Map<String, String> query = new LinkedHashMap<>();
        query.put("node", node);
        query.put("state", state);
        query.put("user", user);
        return get("/api/v1/processes" + query(query), new TypeReference<>() { });
    }

    public ProcessInfo process(int gpid) {
        return get("/api/v1/processes/" + gpid, new TypeReference<>() { });
    }

    /** Sends a signal: a name ("TERM", "SIGKILL") or a number ("9"). */
    public void signal(int gpid, String signal) {
        send(request("/api/v1/processes/" + gpid + "/signal").POST(body(new SignalRequest(signal)))
                .header("Content-Type", JSON));
    }

    /** The output captured so far from the given offsets on. */
    public List<OutputChunk> output(int gpid, long stdoutOffset, long stderrOffset) {
        return get("/api/v1/processes/" + gpid + "/output" + offsets(stdoutOffset, stderrOffset),
                new TypeReference<>() { });
    }

    /**
     * Follows a process's output as server-sent events, handing each chunk to {@code sink},
     * and returns when the server ends the stream (the process ended and all output was sent).
     */
    public void followOutput(int gpid, long stdoutOffset, long stderrOffset, Consumer<OutputChunk> sink) {
        follow("/api/v1/processes/" + gpid + "/output/stream?" + offsets(stdoutOffset, stderrOffset).substring(1),
                new TypeReference<OutputChunk>() { }, sink);
    }

    // ---- capabilities

    public Capabilities capabilities(int gpid) {
        return get("/api/v1/processes/" + gpid + "/capabilities", new TypeReference<>() { });
    }

    public Capabilities updateCapabilities(int gpid, CapabilitiesUpdate update) {
        return decode(send(request("/api/v1/processes/" + gpid + "/capabilities")
                .method("PATCH", body(update)).header("Content-Type", JSON)), new TypeReference<>() { });
    }

    // ---- migrations and checkpoints

    /** Starts a migration; returns its record (202) at once. */
    public MigrationInfo migrate(int gpid, String node, MigrationMode mode) {
        return decode(send(request("/api/v1/processes/" + gpid + "/migrate").POST(body(new MigrateRequest(node, mode)))
                .header("Content-Type", JSON)), new TypeReference<>() { });
    }

    /** Hands the migration's record to sink at every change; returns when it ended. */
    public void followMigration(String id, Consumer<MigrationInfo> sink) {
        follow("/api/v1/migrations/" + encode(id) + "/events", new TypeReference<MigrationInfo>() { }, sink);
    }

    /** Recent migrations, newest first; gpid null for all. */
    public List<MigrationInfo> migrations(Integer gpid) {
        return get("/api/v1/migrations" + (gpid == null ? "" : "?gpid=" + gpid), new TypeReference<>() { });
    }

    public CheckpointInfo checkpoint(int gpid, boolean kill) {
        return decode(send(request("/api/v1/processes/" + gpid + "/checkpoints").POST(body(new CheckpointRequest(kill)))
                .header("Content-Type", JSON).timeout(LONG_REQUEST_TIMEOUT)), new TypeReference<>() { });
    }

    /** Checkpoints, newest first; gpid null for all. */
    public List<CheckpointInfo> checkpoints(Integer gpid) {
        return get("/api/v1/checkpoints" + (gpid == null ? "" : "?gpid=" + gpid), new TypeReference<>() { });
    }

    /** Restarts a checkpoint on node (null: placement picks); returns the running process. */
    public ProcessInfo restart(String checkpointId, String node) {
        return decode(send(request("/api/v1/checkpoints/" + encode(checkpointId) + "/restart")
                .POST(body(new RestartRequest(node))).header("Content-Type", JSON).timeout(LONG_REQUEST_TIMEOUT)),
                new TypeReference<>() { });
    }

    public void deleteCheckpoint(String checkpointId) {
        send(request("/api/v1/checkpoints/" + encode(checkpointId)).DELETE());
    }

    // ---- scheduler

    /** The placement and balancing policies in force. */
    public SchedulerPolicy policy() {
        return get("/api/v1/scheduler/policy", new TypeReference<>() { });
    }

    /** Replaces the policy (parameters left null take their defaults); returns it as stored. */
    public SchedulerPolicy setPolicy(SchedulerPolicy policy) {
        return decode(send(request("/api/v1/scheduler/policy").PUT(body(policy)).header("Content-Type", JSON)),
                new TypeReference<>() { });
    }

    /** The nodes with the figures the scheduler decides on. */
    public List<SchedulerNode> schedulerNodes() {
        return get("/api/v1/scheduler/nodes", new TypeReference<>() { });
    }

    /** Hands the recent scheduler decisions to sink, then, with follow, new ones until the stream ends. */
    public void followEvents(boolean follow, Consumer<SchedulerEvent> sink) {
        follow("/api/v1/scheduler/events?follow=" + follow, new TypeReference<SchedulerEvent>() { }, sink);
    }

    // ---- plumbing

    /** Reads a server-sent-event stream of JSON values until the server ends it. */
    private <T> void follow(String pathAndQuery, TypeReference<T> type, Consumer<T> sink) {
        HttpRequest request = request(pathAndQuery)
                .setHeader("Accept", "text/event-stream")
                .timeout(Duration.ofDays(365))
                .GET().build();
        HttpResponse<InputStream> response = exchange(request, HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream in = response.body()) {
            if (response.statusCode() / 100 != 2) {
                throw problem(response.statusCode(), new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
            readEvents(in, data -> sink.accept(readJson(data, type)));
        } catch (IOException e) {
            throw new UnumIoException(baseUrl, e);
        }
    }

    /**
     * Reads a {@code text/event-stream}: joins the {@code data:} lines of each event and hands the
     * data of every event to {@code onData}. Comments and other fields are ignored.
     */
    static void readEvents(InputStream in, Consumer<String> onData) throws IOException {
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        StringBuilder data = null;
        String line;
        while ((line = reader.readLine()) != null) {
            if (line.isEmpty()) {
                if (data != null) {
                    onData.accept(data.toString());
                }
                data = null;
            } else if (line.startsWith("data:")) {
                String value = line.substring(5);
                value = value.startsWith(" ") ? value.substring(1) : value;
                data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
            }
        }
        if (data != null) {
            onData.accept(data.toString());
        }
    }

    private <T> T get(String path, TypeReference<T> type) {
        return decode(send(request(path).GET()), type);
    }

    private HttpRequest.Builder request(String pathAndQuery) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl + pathAndQuery))
                .timeout(REQUEST_TIMEOUT)
                .header("Accept", JSON)
                .header("User-Agent", "unum-cli");
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return b;
    }

    private static HttpRequest.BodyPublisher body(Object value) {
        try {
            return HttpRequest.BodyPublishers.ofByteArray(Json.MAPPER.writeValueAsBytes(value));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode " + value, e);
        }
    }

    private String send(HttpRequest.Builder builder) {
        HttpRequest request = builder.build();
        HttpResponse<String> response = exchange(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        if (response.statusCode() / 100 != 2) {
            throw problem(response.statusCode(), response.body());
        }
        return response.body();
    }

    private <T> HttpResponse<T> exchange(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
        try {
            return http.send(request, handler);
        } catch (ConnectException | HttpConnectTimeoutException e) {
            throw new UnumUnreachableException(baseUrl, e);
        } catch (IOException e) {
            if (e.getCause() instanceof UnresolvedAddressException || e.getCause() instanceof ConnectException) {
                throw new UnumUnreachableException(baseUrl, e.getCause());
            }
            throw new UnumIoException(baseUrl, e);
        } catch (UnresolvedAddressException e) {
            throw new UnumUnreachableException(baseUrl, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while talking to " + baseUrl, e);
        }
    }

    /** The error body as a Problem; a made-up one when it is not {@code application/problem+json}. */
    static UnumApiException problem(int status, String body) {
        Problem p = null;
        if (body != null && body.trim().startsWith("{")) {
            try {
                p = Json.MAPPER.readValue(body, Problem.class);
            } catch (JsonProcessingException e) {
                p = null;
            }
        }
        if (p == null || p.title() == null) {
            String detail = body == null || body.isBlank() ? null : abbreviate(body.strip(), 200);
            p = new Problem(null, reasonPhrase(status), status, p == null ? detail : p.detail(), null);
        }
        return new UnumApiException(p);
    }

    private static <T> T decode(String body, TypeReference<T> type) {
        return readJson(body, type);
    }

    private static <T> T readJson(String body, TypeReference<T> type) {
        try {
            return Json.MAPPER.readValue(body, type);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("the control plane sent a body the CLI cannot read: "
                    + e.getOriginalMessage(), e);
        }
    }

    private static String offsets(long stdoutOffset, long stderrOffset) {
        return "?stdoutOffset=" + stdoutOffset + "&stderrOffset=" + stderrOffset;
    }

    private static String query(Map<String, String> params) {
        StringJoiner q = new StringJoiner("&", "?", "").setEmptyValue("");
        params.forEach((k, v) -> {
            if (v != null && !v.isBlank()) {
                q.add(k + "=" + encode(v));
            }
        });
        return q.toString();
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String abbreviate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max) + "…";
    }

    static String reasonPhrase(int status) {
        return switch (status) {
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 409 -> "Conflict";
            case 415 -> "Unsupported Media Type";
            case 422 -> "Unprocessable Content";
            case 429 -> "Too Many Requests";
            case 500 -> "Internal Server Error";
            case 502 -> "Bad Gateway";
            case 503 -> "Service Unavailable";
            case 504 -> "Gateway Timeout";
            default -> "HTTP " + status;
        };
    }
}
