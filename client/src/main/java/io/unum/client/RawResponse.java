package io.unum.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpHeaders;

/**
 * An answer as it came, whatever its status: for tests that check what the server says to bad
 * input, and for calls the typed client does not offer.
 */
public record RawResponse(int status, HttpHeaders headers, String body) {
    public String contentType() {
        return headers.firstValue("Content-Type").orElse("");
    }

    /** This answer if its status is 2xx, else the error it carries as {@link UnumApiException}. */
    public RawResponse requireOk() {
        if (status / 100 != 2) {
            throw Http.problem(status, body);
        }
        return this;
    }

    /** The body as a JSON tree. */
    public JsonNode json() {
        return Json.read(body, JsonNode.class);
    }

    /** The body as a model class. */
    public <T> T as(Class<T> type) {
        return Json.read(body, type);
    }
}
