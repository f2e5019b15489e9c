package io.unum.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.unum.api.model.Problem;
import io.unum.client.Json;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A hand-written fake of Unum's REST API on 127.0.0.1: canned responses per "METHOD /path"
 * (query ignored for matching), every request recorded; anything not set up answers a 404 problem.
 * A test class holds one as {@code @RegisterExtension final FakeUnum fake = new FakeUnum();}: a fresh
 * one per test, stopped after it.
 */
final class FakeUnum implements AutoCloseable, AfterEachCallback {

    /** One recorded request. */
    record Call(String method, String path, String query, Map<String, List<String>> headers, String body) {
        String header(String name) {
            return headers.entrySet().stream()
                    .filter(e -> e.getKey().equalsIgnoreCase(name) && !e.getValue().isEmpty())
                    .map(e -> String.join(",", e.getValue()))
                    .findFirst().orElse(null);
        }
    }

    /** A canned response. */
    interface Responder {
        void respond(HttpExchange exchange, Call call) throws IOException;
    }

    private final HttpServer server;
    private final Map<String, Responder> routes = new ConcurrentHashMap<>();
    final List<Call> calls = new CopyOnWriteArrayList<>();

    FakeUnum() {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/", this::handle);
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    FakeUnum on(String methodAndPath, Responder responder) {
        routes.put(methodAndPath, responder);
        return this;
    }

    /** Answers JSON-encoded {@code body} with {@code status}. */
    FakeUnum json(String methodAndPath, int status, Object body) {
        return on(methodAndPath, (ex, call) -> send(ex, status, "application/json", body == null ? null : encode(body)));
    }

    FakeUnum problem(String methodAndPath, int status, String title, String detail) {
        return on(methodAndPath, (ex, call) -> send(ex, status, Problem.MEDIA_TYPE,
                encode(new Problem("urn:unum:problem:x", title, status, detail, call.path()))));
    }

    List<Call> calls(String method, String path) {
        return calls.stream().filter(c -> c.method().equals(method) && c.path().equals(path)).toList();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            Call call = new Call(ex.getRequestMethod(), ex.getRequestURI().getPath(), ex.getRequestURI().getRawQuery(),
                    Map.copyOf(ex.getRequestHeaders()), body);
            calls.add(call);
            Responder r = routes.get(call.method() + " " + call.path());
            if (r == null) {
                send(ex, 404, Problem.MEDIA_TYPE, encode(new Problem("urn:unum:problem:not-found", "Not Found", 404,
                        "no route " + call.method() + " " + call.path(), call.path())));
            } else {
                r.respond(ex, call);
            }
        }
    }

    static void send(HttpExchange ex, int status, String contentType, String body) throws IOException {
        if (contentType != null) {
            ex.getResponseHeaders().set("Content-Type", contentType);
        }
        byte[] bytes = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    static String encode(Object value) {
        try {
            return Json.MAPPER.writeValueAsString(value);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }

    @Override
    public void afterEach(ExtensionContext context) {
        close();
    }
}
