package io.unum.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** The REST calls benchmarks make, with the admin token; a non-2xx answer is an error. */
final class BenchApi {
    static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule());
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private final String api;
    private final String token;

    BenchApi(String api, String token) {
        this.api = api;
        this.token = token;
    }

    HttpResponse<String> post(String path, String body) {
        return send(HttpRequest.newBuilder(URI.create(api + path)).header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json").timeout(Duration.ofMinutes(10))
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    HttpResponse<String> put(String path, String body) {
        return send(HttpRequest.newBuilder(URI.create(api + path)).header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(body)));
    }

    HttpResponse<String> get(String path) {
        return send(HttpRequest.newBuilder(URI.create(api + path)).header("Authorization", "Bearer " + token).GET());
    }

    HttpResponse<String> delete(String path) {
        return send(HttpRequest.newBuilder(URI.create(api + path)).header("Authorization", "Bearer " + token).DELETE());
    }

    JsonNode json(HttpResponse<String> response) {
        if (response.statusCode() / 100 != 2) {
            throw new IllegalStateException(response.request().uri() + ": " + response.statusCode() + " " + response.body());
        }
        try {
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
