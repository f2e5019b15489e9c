package io.unum.controlplane;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.unum.testing.EtcdServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The OpenAPI document the control plane serves at {@code /q/openapi} is committed as
 * {@value #COMMITTED}, and the web UI generates its TypeScript model from that file (the UI
 * builds before the control plane, so it cannot ask a running server). This test keeps the two
 * equal, so a change to {@code io.unum.api.model} or to a resource cannot silently leave the UI
 * reading yesterday's shapes.
 */
@QuarkusTest
@WithTestResource(OpenApiDocumentTest.Etcd.class)
class OpenApiDocumentTest {
    /** Relative to the repository root; surefire runs with the module directory as working directory. */
    static final String COMMITTED = "api/openapi/unum-v1.json";

    /** {@code -Dunum.openapi.update=true} rewrites the committed document instead of comparing. */
    static final String UPDATE_PROPERTY = "unum.openapi.update";

    static final String REFRESH_COMMAND = "./mvnw -B -q -pl control-plane -am verify -Dtest=OpenApiDocumentTest "
            + "-Dsurefire.failIfNoSpecifiedTests=false -D" + UPDATE_PROPERTY + "=true";

    /** Keys sorted: SmallRye does not keep the order of top-level sections from one boot to the next. */
    private static final ObjectMapper CANONICAL = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

    @Test
    void servedDocumentEqualsTheCommittedOne() throws IOException {
        String json = given().queryParam("format", "json").get("/q/openapi").then().statusCode(200)
                .extract().asString();
        String served = CANONICAL.writeValueAsString(CANONICAL.readValue(json, Object.class)) + "\n";
        Path committed = Path.of("..").resolve(COMMITTED).toAbsolutePath().normalize();

        if (Boolean.getBoolean(UPDATE_PROPERTY)) {
            Files.writeString(committed, served, StandardCharsets.UTF_8);
            return;
        }
        String expected = Files.exists(committed) ? Files.readString(committed, StandardCharsets.UTF_8) : "";
        if (!served.equals(expected)) {
            fail(COMMITTED + " differs from the document the control plane serves at /q/openapi (the REST API "
                    + "or io.unum.api.model changed); " + firstDifference(expected, served) + ".\nRefresh it from "
                    + "the repository root with\n  " + REFRESH_COMMAND + "\nthen rebuild the web UI (./mvnw -B -q "
                    + "-pl web-ui verify), fix what its type check reports, and commit the document with the change "
                    + "that caused it.");
        }
    }

    private static String firstDifference(String committed, String served) {
        List<String> was = committed.lines().toList();
        List<String> is = served.lines().toList();
        int line = 0;
        while (line < was.size() && line < is.size() && was.get(line).equals(is.get(line))) {
            line++;
        }
        return "first at line " + (line + 1) + ": committed " + lineOrEnd(was, line) + ", served "
                + lineOrEnd(is, line);
    }

    private static String lineOrEnd(List<String> lines, int index) {
        return index < lines.size() ? "'" + lines.get(index).strip() + "'" : "(end of document)";
    }

    /** The control plane reads its stores from etcd at start-up, so the test boots it against a real one. */
    public static final class Etcd implements QuarkusTestResourceLifecycleManager {
        private EtcdServer etcd;

        @Override
        public Map<String, String> start() {
            etcd = EtcdServer.start();
            // Free ports, so the test can run beside other builds on the same machine.
            return Map.of("unum.etcd.endpoints", etcd.endpoint(),
                    "unum.auth.join-token", "openapi-document-test",
                    "quarkus.http.test-port", "0",
                    "quarkus.grpc.server.test-port", "0");
        }

        @Override
        public void stop() {
            if (etcd != null) {
                etcd.close();
            }
        }
    }
}
