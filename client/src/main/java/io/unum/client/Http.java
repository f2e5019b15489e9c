package io.unum.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.unum.api.model.Problem;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The HTTP exchange under {@link UnumClient}: builds requests with the bearer token, sends them,
 * and turns transport failures and error statuses into the client's exceptions.
 */
final class Http {
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
    private static final String JSON = "application/json";

    private final URI baseUrl;
    private final String token;
    private final HttpClient http;

    Http(URI baseUrl, String token, HttpClient http) {
        String s = baseUrl.toString();
        this.baseUrl = URI.create(s.endsWith("/") ? s.substring(0, s.length() - 1) : s);
        this.token = token == null || token.isBlank() ? null : token.trim();
        this.http = http;
    }

    URI baseUrl() {
        return baseUrl;
    }

    String token() {
        return token;
    }

    HttpClient client() {
        return http;
    }

    /** A request to {@code pathAndQuery} with {@code jsonBody} (null: none), timeout as given. */
    HttpRequest request(String method, String pathAndQuery, String jsonBody, Duration timeout) {
        return jsonBody == null
                ? request(method, pathAndQuery, JSON, null, HttpRequest.BodyPublishers.noBody(), timeout)
                : request(method, pathAndQuery, JSON, JSON, HttpRequest.BodyPublishers.ofString(jsonBody), timeout);
    }

    /** A request accepting {@code accept}, with {@code body} of {@code contentType} (null: no body). */
    HttpRequest request(String method, String pathAndQuery, String accept, String contentType,
            HttpRequest.BodyPublisher body, Duration timeout) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl + pathAndQuery))
                .timeout(timeout)
                .header("Accept", accept)
                .header("User-Agent", "unum-client");
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        return b.method(method, body).build();
    }

    /** Sends the request; any status comes back. */
    RawResponse raw(HttpRequest request) {
        HttpResponse<String> r = exchange(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        return new RawResponse(r.statusCode(), r.headers(), r.body());
    }

    /** Sends the request; the body of a 2xx answer, else {@link UnumApiException}. */
    String send(HttpRequest request) {
        RawResponse r = raw(request);
        if (r.status() / 100 != 2) {
            throw problem(r.status(), r.body());
        }
        return r.body();
    }

    /** Opens a server-sent-event stream; an error status is thrown at once. */
    SseReader openEvents(String pathAndQuery) {
        HttpRequest request = HttpRequest.newBuilder(request("GET", pathAndQuery, null, Duration.ofDays(365)),
                (name, value) -> !name.equalsIgnoreCase("Accept"))
                .header("Accept", "text/event-stream")
                .build();
        return new SseReader(openStream(request).body());
    }

    /** Sends the request and hands back the 2xx answer's body unread; an error status is thrown at once. */
    HttpResponse<InputStream> openStream(HttpRequest request) {
        HttpResponse<InputStream> response = exchange(request, HttpResponse.BodyHandlers.ofInputStream());
        if (response.statusCode() / 100 != 2) {
            try (InputStream in = response.body()) {
                throw problem(response.statusCode(), new String(in.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new UnumIoException(baseUrl, e);
            }
        }
        return response;
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
