package io.unum.e2e;

import io.unum.api.model.MigrationInfo;
import io.unum.api.model.MigrationMode;
import io.unum.api.model.NodeInfo;
import io.unum.api.model.OutputChunk;
import io.unum.api.model.ProcessInfo;
import io.unum.api.model.ProcessState;
import io.unum.api.model.SignalRequest;
import io.unum.api.model.SpawnRequest;
import io.unum.client.EventStream;
import io.unum.client.Json;
import io.unum.client.RawResponse;
import io.unum.client.UnumClient;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The tests' fixture over {@link UnumClient}: the typed calls, shorthands for the raw requests
 * whose status and body tests check, and waiting until the cluster reached a state.
 */
final class Api {
    private final UnumClient client;

    Api(String baseUrl, String token) {
        this(new UnumClient(baseUrl, token));
    }

    Api(UnumClient client) {
        this.client = client;
    }

    /** The client itself, for every typed call. */
    UnumClient client() {
        return client;
    }

    Api as(String otherToken) {
        return new Api(client.withToken(otherToken));
    }

    RawResponse get(String path) {
        return client.raw("GET", path, null);
    }

    RawResponse post(String path, Object body) {
        return client.raw("POST", path, Json.write(body));
    }

    RawResponse postRaw(String path, String rawJson) {
        return client.raw("POST", path, rawJson);
    }

    RawResponse put(String path, Object body) {
        return client.raw("PUT", path, Json.write(body));
    }

    RawResponse putRaw(String path, String rawJson) {
        return client.raw("PUT", path, rawJson);
    }

    RawResponse patch(String path, Object body) {
        return client.raw("PATCH", path, Json.write(body));
    }

    ProcessInfo spawn(SpawnRequest request) {
        return client.spawn(request);
    }

    ProcessInfo spawn(List<String> argv) {
        return client.spawn(argv);
    }

    ProcessInfo process(int gpid) {
        return client.process(gpid);
    }

    List<ProcessInfo> processes() {
        return client.processes();
    }

    List<NodeInfo> nodes() {
        return client.nodes();
    }

    /** The answer to a signal as it came, so tests can check refusals too. */
    RawResponse signal(int gpid, String signal) {
        return post("/api/v1/processes/" + gpid + "/signal", new SignalRequest(signal));
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

    /** Starts a migration and waits until it ended; fails unless it was accepted. */
    MigrationInfo migrate(int gpid, String node) {
        return migrate(gpid, node, "STOP_AND_COPY");
    }

    /** A migration in {@code mode}, or in the mode the control plane chooses when it is null; waits for its end. */
    MigrationInfo migrate(int gpid, String node, String mode) {
        MigrationInfo started = client.migrate(gpid, node, mode == null ? null : MigrationMode.valueOf(mode));
        return awaitMigration(started.id(), Duration.ofSeconds(120));
    }

    MigrationInfo migration(String id) {
        return client.migration(id);
    }

    MigrationInfo awaitMigration(String id, Duration timeout) {
        return await(() -> migration(id), m -> m.state().isTerminal(), timeout, "migration " + id);
    }

    /** Everything the process printed to stdout that its node still keeps. */
    String stdout(int gpid) {
        return output(gpid, true);
    }

    String stderr(int gpid) {
        return output(gpid, false);
    }

    private String output(int gpid, boolean stdout) {
        StringBuilder out = new StringBuilder();
        for (OutputChunk chunk : client.output(gpid, 0, 0)) {
            if (isStdout(chunk) == stdout) {
                out.append(new String(Base64.getDecoder().decode(chunk.data()), StandardCharsets.UTF_8));
            }
        }
        return out.toString();
    }

    /** Follows stdout from the start, in the background, until the server ends the stream. */
    Follower follow(int gpid) {
        Follower f = new Follower();
        // A thread of its own: the common pool may have a single thread on small machines.
        Thread reader = new Thread(() -> {
            try (EventStream<OutputChunk> chunks = client.outputStream(gpid, 0, 0)) {
                chunks.forEach(chunk -> {
                    if (isStdout(chunk)) {
                        f.append(chunk.offset(), Base64.getDecoder().decode(chunk.data()));
                    }
                });
                f.done.complete(null);
            } catch (RuntimeException e) {
                f.done.completeExceptionally(e);
            }
        }, "follow-" + gpid);
        reader.setDaemon(true);
        reader.start();
        return f;
    }

    private static boolean isStdout(OutputChunk chunk) {
        return "stdout".equals(chunk.stream());
    }

    /** What a follower received, with a check that chunks arrived contiguous and in order. */
    static final class Follower {
        private final ByteArrayOutputStream data = new ByteArrayOutputStream();
        private final List<String> gaps = new CopyOnWriteArrayList<>();
        private final CompletableFuture<Void> done = new CompletableFuture<>();

        synchronized void append(long offset, byte[] bytes) {
            if (offset != data.size()) {
                gaps.add("chunk at offset " + offset + " after " + data.size() + " bytes");
            }
            data.writeBytes(bytes);
        }

        /** Waits until the server ended the stream and returns everything received. */
        String await(Duration timeout) {
            try {
                done.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                throw new AssertionError("the output stream did not end within " + timeout + ": " + e, e);
            }
            if (!gaps.isEmpty()) {
                throw new AssertionError("output arrived out of order or with gaps/overlaps: " + gaps);
            }
            return text();
        }

        synchronized String text() {
            return data.toString(StandardCharsets.UTF_8);
        }
    }
}
