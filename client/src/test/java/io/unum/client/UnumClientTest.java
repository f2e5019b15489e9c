package io.unum.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class UnumClientTest {

    @Test
    void readsServerSentEvents() throws Exception {
        String stream = ": comment\n\nevent: chunk\ndata: {\"a\":1}\n\ndata:x\ndata: y\n\nid: 3\n\ndata: last";
        List<String> data = new ArrayList<>();
        try (SseReader events = new SseReader(new ByteArrayInputStream(stream.getBytes(StandardCharsets.UTF_8)))) {
            for (String d = events.next(); d != null; d = events.next()) {
                data.add(d);
            }
        }
        assertEquals(List.of("{\"a\":1}", "x\ny", "last"), data);
    }

    @Test
    void problemBodyIsDecoded() {
        UnumApiException e = Http.problem(404,
                "{\"type\":\"urn:unum:problem:not-found\",\"title\":\"Not Found\",\"status\":404,"
                        + "\"detail\":\"no process 9\",\"extra\":true}");
        assertEquals("Not Found", e.problem().title());
        assertEquals("Not Found: no process 9", e.getMessage());
        assertEquals(404, e.status());
        assertEquals(UnumApiException.Kind.NOT_FOUND, e.kind());
    }

    @Test
    void otherErrorBodiesBecomeAProblemFromTheStatus() {
        UnumApiException e = Http.problem(503, "");
        assertEquals("Service Unavailable", e.getMessage());
        assertNull(e.problem().detail());
        assertEquals(UnumApiException.Kind.UNAVAILABLE, e.kind());
        assertEquals("Unauthorized: go away", Http.problem(401, "go away").getMessage());
    }

    @Test
    void statusesCallersBranchOnHaveAKind() {
        assertEquals(UnumApiException.Kind.BAD_REQUEST, Http.problem(400, "").kind());
        assertEquals(UnumApiException.Kind.NOT_ALLOWED, Http.problem(401, "").kind());
        assertEquals(UnumApiException.Kind.NOT_ALLOWED, Http.problem(403, "").kind());
        assertEquals(UnumApiException.Kind.CONFLICT, Http.problem(409, "").kind());
        assertEquals(UnumApiException.Kind.OTHER, Http.problem(500, "").kind());
    }
}
