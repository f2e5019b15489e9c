package io.unum.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * A minimal REST client for a control plane, for readiness checks and tests: one bearer token,
 * JSON in and out through Jackson. Not the product's client (that is the CLI's {@code UnumClient}).
 */
public final class ClusterApi {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String baseUrl;
    private final String token;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    public ClusterApi(String baseUrl, String token) {
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.token = token;
    }

    /** The same server with another token (e.g. the viewer's). */
    public ClusterApi withToken(String otherToken) {
        return new ClusterApi(baseUrl, otherToken);
    }

    public String baseUrl() {
        return baseUrl;
    }

    /** Sends a request; {@code jsonBody} may be null. Path is relative to the base URL, e.g. {@code /api/v1/nodes}. */
    public HttpResponse<String> send(String method, String path, String jsonBody) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl + path))
                .timeout(Duration.ofSeconds(10))
                .header("Accept", "application/json");
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        if (jsonBody != null) {
            b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(jsonBody));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(method + " " + baseUrl + path + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted: " + method + " " + baseUrl + path, e);
        }
    }

    /** GET that must answer 2xx; the body parsed as JSON. */
    public JsonNode getJson(String path) {
        return expectJson("GET", path, null);
    }

    /** POST that must answer 2xx; the body parsed as JSON (a missing node for an empty body). */
    public JsonNode postJson(String path, String jsonBody) {
        return expectJson("POST", path, jsonBody);
    }

    /** The request must answer 2xx; the body parsed as JSON (a missing node for an empty body). */
    public JsonNode expectJson(String method, String path, String jsonBody) {
        HttpResponse<String> r = send(method, path, jsonBody);
        if (r.statusCode() / 100 != 2) {
            throw new IllegalStateException(method + " " + baseUrl + path + " answered " + r.statusCode() + ": " + r.body());
        }
        return parse(r.body());
    }

    /** Parses JSON text; a missing node for an empty string. */
    public static JsonNode parse(String body) {
        try {
            return body == null || body.isBlank() ? JSON.missingNode() : JSON.readTree(body);
        } catch (IOException e) {
            throw new UncheckedIOException("not JSON: " + body, e);
        }
    }

    /** A shared Jackson mapper, e.g. to build request bodies. */
    public static ObjectMapper json() {
        return JSON;
    }
}
