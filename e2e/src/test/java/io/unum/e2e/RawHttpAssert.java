package io.unum.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unum.client.RawResponse;

/** Checks that an answer is the problem+json refusal expected. */
final class RawHttpAssert {
    private RawHttpAssert() {
    }

    static void problem(RawResponse reply, int status, String detailContains) {
        assertEquals(status, reply.status(), reply.body());
        assertTrue(reply.contentType().startsWith("application/problem+json"), reply.contentType());
        String detail = reply.json().path("detail").asText();
        assertTrue(detail.contains(detailContains), "detail '" + detail + "' should mention '" + detailContains + "'");
    }
}
