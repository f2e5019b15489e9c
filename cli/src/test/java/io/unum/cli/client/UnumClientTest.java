package io.unum.cli.client;

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
        UnumClient.readEvents(new ByteArrayInputStream(stream.getBytes(StandardCharsets.UTF_8)), data::add);
        assertEquals(List.of("{\"a\":1}", "x\ny", "last"), data);
    }

    @Test
    void problemBodyIsDecoded() {
        UnumApiException e = UnumClient.problem(404,
                "{\"type\":\"urn:unum:problem:not-found\",\"title\":\"Not Found\",\"status\":404,"
                        + "\"detail\":\"no process 9\",\"extra\":true}");
        assertEquals("Not Found", e.problem().title());
        assertEquals("Not Found: no process 9", e.getMessage());
        assertEquals(404, e.status());
    }

    @Test
    void otherErrorBodiesBecomeAProblemFromTheStatus() {
        UnumApiException e = UnumClient.problem(503, "");
        assertEquals("Service Unavailable", e.getMessage());
        assertNull(e.problem().detail());
        assertEquals("Unauthorized: go away", UnumClient.problem(401, "go away").getMessage());
    }
}
