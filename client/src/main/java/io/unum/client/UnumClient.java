package io.unum.client;

import com.fasterxml.jackson.core.type.TypeReference;
import io.unum.api.fs.FsPath;
import io.unum.api.model.AuditEntry;
import io.unum.api.model.FsDirectoryRequest;
import io.unum.api.model.FsEntryInfo;
import io.unum.api.model.FsListing;
import io.unum.api.model.FsReplicasRequest;
import io.unum.api.model.FsUsage;
import io.unum.api.model.Problem;
import io.unum.api.model.JoinTokenInfo;
import io.unum.api.model.JoinTokenRequest;
import io.unum.api.model.NewJoinToken;
import io.unum.api.model.Capabilities;
import io.unum.api.model.CapabilitiesUpdate;
import io.unum.api.model.CheckpointInfo;
import io.unum.api.model.CheckpointRequest;
import io.unum.api.model.MigrateRequest;
import io.unum.api.model.MigrationInfo;
import io.unum.api.model.MigrationMode;
import io.unum.api.model.NodeEvent;
import io.unum.api.model.NodeInfo;
import io.unum.api.model.OutputChunk;
import io.unum.api.model.ProcessEvent;
import io.unum.api.model.ProcessInfo;
import io.unum.api.model.RestartRequest;
import io.unum.api.model.SchedulerEvent;
import io.unum.api.model.SchedulerNode;
import io.unum.api.model.SchedulerPolicy;
import io.unum.api.model.ShmSegmentInfo;
import io.unum.api.model.SchedulerStatus;
import io.unum.api.model.SessionInfo;
import io.unum.api.model.SignalRequest;
import io.unum.api.model.SpawnRequest;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.net.http.HttpRequest;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.StringJoiner;
import java.util.stream.Collectors;

/**
 * The Java client of the control plane's REST API ({@code /api/v1}), on the model classes the
 * server serializes. Every call either returns the decoded body or throws
 * {@link UnumApiException} (the server said no), {@link UnumUnreachableException} (nobody
 * answered) or {@link UnumIoException} (the exchange broke off). Streams of server-sent events
 * come back as an {@link EventStream} to close.
 */
public final class UnumClient {
    /** Checkpoints and restarts answer once CRIU is done, which takes long for big processes. */
    private static final Duration LONG_REQUEST_TIMEOUT = Duration.ofMinutes(10);
    /**
     * The JDK's request timeout runs until the answer's headers, which for an upload come after the
     * whole body: only a bound that no transfer of a real file reaches.
     */
    private static final Duration UPLOAD_TIMEOUT = Duration.ofDays(1);
    private static final String FS = "/api/v1/fs/";
    private static final String JSON = "application/json";
    private static final String OCTET_STREAM = "application/octet-stream";

    private final Http http;

    public UnumClient(URI baseUrl, String token) {
        this(baseUrl, token, HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Http.CONNECT_TIMEOUT)
                .build());
    }

    /** A client of a control plane whose HTTPS certificate is issued by a CA of {@code caFile} (PEM). */
    public UnumClient(URI baseUrl, String token, Path caFile) {
        this(baseUrl, token, HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Http.CONNECT_TIMEOUT)
                .sslContext(CaFile.sslContext(caFile))
                .build());
    }

    public UnumClient(String baseUrl, String token) {
        this(URI.create(baseUrl), token);
    }

    public UnumClient(URI baseUrl, String token, HttpClient http) {
        this.http = new Http(baseUrl, token, http);
    }

    public URI baseUrl() {
        return http.baseUrl();
    }

    /** The same server with another token (e.g. a viewer's, or none). */
    public UnumClient withToken(String otherToken) {
        return new UnumClient(http.baseUrl(), otherToken, http.client());
    }

    /** The role of this client's token. */
    public SessionInfo session() {
        return get("/api/v1/session", SessionInfo.class);
    }

    // ---- nodes

    public List<NodeInfo> nodes() {
        return get("/api/v1/nodes", new TypeReference<>() { });
    }

    public NodeInfo node(String name) {
        return get("/api/v1/nodes/" + encode(name), NodeInfo.class);
    }

    /** A snapshot of the nodes, then every changed node; ends only when closed. */
    public EventStream<NodeEvent> nodeEvents() {
        return events("/api/v1/nodes/events", NodeEvent.class);
    }

    // ---- processes

    /** Starts a process; returns its record (201). */
    public ProcessInfo spawn(SpawnRequest request) {
        return send("POST", "/api/v1/processes", request, ProcessInfo.class);
    }

    /** Starts {@code argv} with every other option left to its default. */
    public ProcessInfo spawn(List<String> argv) {
        return spawn(new SpawnRequest(argv, null, null, null, null, null, null));
    }

    /** The whole process table, sorted by gpid. */
    public List<ProcessInfo> processes() {
        return processes(null, null, null);
    }

    /** The process table, sorted by gpid; null filters are left out. */
    public List<ProcessInfo> processes(String node, String state, String user) {
        Map<String, String> query = new LinkedHashMap<>();
        query.put("node", node);
        query.put("state", state);
        query.put("user", user);
        return get("/api/v1/processes" + query(query), new TypeReference<>() { });
    }

    /**
     * One page of the process table in gpid order: at most {@code limit} processes after the
     * page whose {@link Page#next()} token is {@code continueToken} (null for the first).
     */
    public Page<ProcessInfo> processes(String node, String state, String user, int limit, String continueToken) {
        Map<String, String> query = new LinkedHashMap<>();
        query.put("node", node);
        query.put("state", state);
        query.put("user", user);
        query.put("limit", Integer.toString(limit));
        query.put("continue", continueToken);
        RawResponse r = http.raw(http.request("GET", "/api/v1/processes" + query(query), null, Http.REQUEST_TIMEOUT));
        if (r.status() / 100 != 2) {
            throw Http.problem(r.status(), r.body());
        }
        List<ProcessInfo> items = Json.read(r.body(), new TypeReference<>() { });
        return new Page<>(items, r.headers().firstValue("Link").flatMap(UnumClient::nextToken));
    }

    /** The continue parameter of a {@code Link: <...>; rel="next"} header. */
    private static Optional<String> nextToken(String link) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("[?&]continue=([^&>]+)[^>]*>\\s*;\\s*rel=\"next\"")
                .matcher(link);
        return m.find() ? Optional.of(java.net.URLDecoder.decode(m.group(1), StandardCharsets.UTF_8)) : Optional.empty();
    }

    public ProcessInfo process(int gpid) {
        return get("/api/v1/processes/" + gpid, ProcessInfo.class);
    }

    /** A snapshot of the process table, then changed records and usage ticks; ends only when closed. */
    public EventStream<ProcessEvent> processEvents() {
        return events("/api/v1/processes/events", ProcessEvent.class);
    }

    /** Sends a signal: a name ("TERM", "SIGKILL") or a number ("9"). */
    public void signal(int gpid, String signal) {
        http.send(http.request("POST", "/api/v1/processes/" + gpid + "/signal",
                Json.write(new SignalRequest(signal)), Http.REQUEST_TIMEOUT));
    }

    /** The output captured so far from the given offsets on. */
    public List<OutputChunk> output(int gpid, long stdoutOffset, long stderrOffset) {
        return get("/api/v1/processes/" + gpid + "/output" + offsets(stdoutOffset, stderrOffset),
                new TypeReference<>() { });
    }

    /** The process's output from the given offsets on; the server ends it once the process ended and all was sent. */
    public EventStream<OutputChunk> outputStream(int gpid, long stdoutOffset, long stderrOffset) {
        return events("/api/v1/processes/" + gpid + "/output/stream" + offsets(stdoutOffset, stderrOffset),
                OutputChunk.class);
    }

    // ---- capabilities

    public Capabilities capabilities(int gpid) {
        return get("/api/v1/processes/" + gpid + "/capabilities", Capabilities.class);
    }

    public Capabilities updateCapabilities(int gpid, CapabilitiesUpdate update) {
        return send("PATCH", "/api/v1/processes/" + gpid + "/capabilities", update, Capabilities.class);
    }

    // ---- migrations and checkpoints

    /** Starts a migration; returns its record (202) at once. */
    public MigrationInfo migrate(int gpid, String node, MigrationMode mode) {
        return send("POST", "/api/v1/processes/" + gpid + "/migrate", new MigrateRequest(node, mode),
                MigrationInfo.class);
    }

    public MigrationInfo migration(String id) {
        return get("/api/v1/migrations/" + encode(id), MigrationInfo.class);
    }

    /** The migration's record at every change; the server ends it when the migration ended. */
    public EventStream<MigrationInfo> migrationEvents(String id) {
        return events("/api/v1/migrations/" + encode(id) + "/events", MigrationInfo.class);
    }

    /** Recent migrations, newest first; gpid null for all. */
    public List<MigrationInfo> migrations(Integer gpid) {
        return get("/api/v1/migrations" + (gpid == null ? "" : "?gpid=" + gpid), new TypeReference<>() { });
    }

    /** Checkpoints the process, and with kill ends it; answers once the images are written. */
    public CheckpointInfo checkpoint(int gpid, boolean kill) {
        return decode(http.send(http.request("POST", "/api/v1/processes/" + gpid + "/checkpoints",
                Json.write(new CheckpointRequest(kill)), LONG_REQUEST_TIMEOUT)), CheckpointInfo.class);
    }

    public CheckpointInfo checkpoint(String id) {
        return get("/api/v1/checkpoints/" + encode(id), CheckpointInfo.class);
    }

    /** Checkpoints, newest first; gpid null for all. */
    public List<CheckpointInfo> checkpoints(Integer gpid) {
        return get("/api/v1/checkpoints" + (gpid == null ? "" : "?gpid=" + gpid), new TypeReference<>() { });
    }

    /** Restarts a checkpoint on node (null: placement picks); returns the running process. */
    public ProcessInfo restart(String checkpointId, String node) {
        return decode(http.send(http.request("POST", "/api/v1/checkpoints/" + encode(checkpointId) + "/restart",
                Json.write(new RestartRequest(node)), LONG_REQUEST_TIMEOUT)), ProcessInfo.class);
    }

    public void deleteCheckpoint(String checkpointId) {
        http.send(http.request("DELETE", "/api/v1/checkpoints/" + encode(checkpointId), null, Http.REQUEST_TIMEOUT));
    }

    // ---- scheduler

    /** The placement and balancing policies in force. */
    public SchedulerPolicy policy() {
        return get("/api/v1/scheduler/policy", SchedulerPolicy.class);
    }

    /** Replaces the policy (parameters left null take their defaults); returns it as stored. */
    public SchedulerPolicy setPolicy(SchedulerPolicy policy) {
        return send("PUT", "/api/v1/scheduler/policy", policy, SchedulerPolicy.class);
    }

    /** The nodes with the figures the scheduler decides on. */
    public List<SchedulerNode> schedulerNodes() {
        return get("/api/v1/scheduler/nodes", new TypeReference<>() { });
    }

    /** This replica's name in the events, and whether it runs the balancer. */
    public SchedulerStatus schedulerStatus() {
        return get("/api/v1/scheduler/status", SchedulerStatus.class);
    }

    /** The recent scheduler decisions, then, with follow, new ones until closed. */
    public EventStream<SchedulerEvent> schedulerEvents(boolean follow) {
        return events("/api/v1/scheduler/events?follow=" + follow, SchedulerEvent.class);
    }

    // ---- audit

    /** The newest {@code limit} audit entries, oldest first (admin only). */
    public List<AuditEntry> audit(int limit) {
        return get("/api/v1/audit?limit=" + limit, new TypeReference<>() { });
    }

    // ---- cluster file system

    /** One entry of the tree with its chunks and where their replicas are (404: no such path). */
    public FsEntryInfo fsStat(FsPath path) {
        return get(FS + "stat/" + fsPath(path), FsEntryInfo.class);
    }

    /** A directory and its entries, sorted by name (409: the path is a file). */
    public FsListing fsList(FsPath path) {
        return get(FS + "list/" + fsPath(path), FsListing.class);
    }

    /** Every node's storage and the leader's repair progress ({@code unum fs df}). */
    public FsUsage fsUsage() {
        return get(FS + "usage", FsUsage.class);
    }

    /** Uploads a local file, streamed from disk; returns the entry as written. */
    public FsEntryInfo fsUpload(FsPath path, Path file, FsPutOptions options, TransferProgress progress) {
        InputStream in;
        long length;
        try {
            in = Files.newInputStream(file);
            length = Files.size(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        try (in) {
            return fsUpload(path, in, length, options, progress);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot close " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Uploads {@code length} bytes of {@code in} (-1: until its end, sent chunked), streamed: the
     * server stores the file as the bytes arrive. Returns the entry as written.
     */
    public FsEntryInfo fsUpload(FsPath path, InputStream in, long length, FsPutOptions options, TransferProgress progress) {
        InputStream counted = Transfer.counting(in, length, progress);
        HttpRequest.BodyPublisher stream = HttpRequest.BodyPublishers.ofInputStream(() -> counted);
        HttpRequest.BodyPublisher body = length == 0 ? HttpRequest.BodyPublishers.noBody()
                : length > 0 ? HttpRequest.BodyPublishers.fromPublisher(stream, length) : stream;
        Map<String, String> query = new LinkedHashMap<>();
        query.put("mode", options.mode());
        query.put("replicas", options.replicas() == null ? null : options.replicas().toString());
        query.put("parents", Boolean.toString(options.parents()));
        query.put("overwrite", Boolean.toString(options.overwrite()));
        HttpRequest request = http.request("PUT", FS + "files/" + fsPath(path) + query(query), JSON, OCTET_STREAM, body,
                UPLOAD_TIMEOUT);
        return decode(http.send(request), FsEntryInfo.class);
    }

    /** Streams a file's bytes to {@code out}; returns how many there were. */
    public long fsDownload(FsPath path, OutputStream out, TransferProgress progress) {
        HttpResponse<InputStream> response = http.openStream(http.request("GET", FS + "files/" + fsPath(path),
                OCTET_STREAM + ", " + Problem.MEDIA_TYPE, null, HttpRequest.BodyPublishers.noBody(), Http.REQUEST_TIMEOUT));
        long total = response.headers().firstValueAsLong("Content-Length").orElse(-1);
        try (InputStream in = response.body()) {
            long copied = Transfer.copy(in, out, total, progress, http.baseUrl());
            if (total >= 0 && copied != total) {
                throw new UnumIoException(http.baseUrl(), new EOFException(
                        "the download of " + path + " ended after " + copied + " of " + total + " bytes"));
            }
            return copied;
        } catch (IOException e) {
            throw new UnumIoException(http.baseUrl(), e);
        }
    }

    /**
     * Downloads a file to {@code file}, through a temporary file beside it that is renamed over it
     * once every byte arrived: a failed download leaves an existing {@code file} as it was.
     */
    public long fsDownload(FsPath path, Path file, TransferProgress progress) {
        Path target = file.toAbsolutePath();
        Path part = target.resolveSibling("." + target.getFileName() + "." + Long.toHexString(System.nanoTime()) + ".part");
        try {
            long copied;
            try (OutputStream out = Files.newOutputStream(part, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                copied = fsDownload(path, out, progress);
            }
            Files.move(part, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return copied;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        } finally {
            try {
                Files.deleteIfExists(part);
            } catch (IOException e) {
                // The download's own outcome matters more than a leftover temporary file.
            }
        }
    }

    /** Makes a directory (request null: mode 0755, no parents, the parent's goal). */
    public void fsMkdir(FsPath path, FsDirectoryRequest request) {
        http.send(http.request("PUT", FS + "directories/" + fsPath(path), request == null ? null : Json.write(request),
                Http.REQUEST_TIMEOUT));
    }

    /** Removes a file, a symlink or an empty directory; with recursive, a directory and all below it. */
    public void fsDelete(FsPath path, boolean recursive) {
        http.send(http.request("DELETE", FS + "entries/" + fsPath(path) + "?recursive=" + recursive, null,
                Http.REQUEST_TIMEOUT));
    }

    /** Sets the replica goal of an entry (and, recursive, of everything below a directory). */
    public FsEntryInfo fsSetReplicas(FsPath path, int replicas, boolean recursive) {
        return send("PUT", FS + "replicas/" + fsPath(path), new FsReplicasRequest(replicas, recursive), FsEntryInfo.class);
    }

    // ---- join tokens

    /** Creates a join token valid for {@code ttlSeconds} (null: the server's default, an hour); the only time its secret is shown. */
    /** Every cluster-wide shared memory segment (`unum ipcs`). */
    public List<ShmSegmentInfo> shmSegments() {
        return get("/api/v1/shm", new TypeReference<>() { });
    }

    /** One segment, with what each node holds of it. */
    public ShmSegmentInfo shmSegment(int id) {
        return get("/api/v1/shm/" + id, ShmSegmentInfo.class);
    }

    /** Removes a segment (`unum ipcrm`): destroyed when its last process detaches. */
    public ShmSegmentInfo removeShmSegment(int id) {
        return decode(http.send(http.request("DELETE", "/api/v1/shm/" + id, null, Http.REQUEST_TIMEOUT)), ShmSegmentInfo.class);
    }

    public NewJoinToken createJoinToken(Long ttlSeconds) {
        return decode(http.send(http.request("POST", "/api/v1/join-tokens", Json.write(new JoinTokenRequest(ttlSeconds)),
                Http.REQUEST_TIMEOUT)), NewJoinToken.class);
    }

    /** The join tokens that can still be used, soonest to expire first (admin only). */
    public List<JoinTokenInfo> joinTokens() {
        return get("/api/v1/join-tokens", new TypeReference<>() { });
    }

    public void deleteJoinToken(String id) {
        http.send(http.request("DELETE", "/api/v1/join-tokens/" + encode(id), null, Http.REQUEST_TIMEOUT));
    }

    // ---- anything else

    /**
     * Sends {@code jsonBody} (null: none) as it is and returns the answer whatever its status: for
     * checking what the server answers to malformed or refused requests. It accepts any media type,
     * so that it also reads what is not JSON (Prometheus metrics under {@code /q/metrics}).
     */
    public RawResponse raw(String method, String pathAndQuery, String jsonBody) {
        HttpRequest request = HttpRequest.newBuilder(http.request(method, pathAndQuery, jsonBody, Http.REQUEST_TIMEOUT),
                (name, value) -> !name.equalsIgnoreCase("Accept")).header("Accept", "*/*").build();
        return http.raw(request);
    }

    // ---- plumbing

    private <T> EventStream<T> events(String pathAndQuery, Class<T> type) {
        return new EventStream<>(http.baseUrl(), http.openEvents(pathAndQuery), type);
    }

    private <T> T get(String path, Class<T> type) {
        return decode(http.send(http.request("GET", path, null, Http.REQUEST_TIMEOUT)), type);
    }

    private <T> T get(String path, TypeReference<T> type) {
        return Json.read(http.send(http.request("GET", path, null, Http.REQUEST_TIMEOUT)), type);
    }

    private <T> T send(String method, String path, Object body, Class<T> type) {
        return decode(http.send(http.request(method, path, Json.write(body), Http.REQUEST_TIMEOUT)), type);
    }

    private static <T> T decode(String body, Class<T> type) {
        return Json.read(body, type);
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

    /** The tree path as the REST paths carry it: no leading slash, each name encoded; "" for the root. */
    static String fsPath(FsPath path) {
        return path.names().stream().map(UnumClient::encode).collect(Collectors.joining("/"));
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
