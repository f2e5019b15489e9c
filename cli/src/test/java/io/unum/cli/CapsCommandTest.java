package io.unum.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.unum.client.Json;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@Timeout(value = 20, unit = TimeUnit.SECONDS)
class CapsCommandTest {
    private static final String SETS = """
            Effective: CAN_MIGRATE
            Permitted: CAN_MIGRATE,CHECKPOINTABLE
            Inheritable Effective: -
            Inheritable Permitted: CAN_MIGRATE,CHECKPOINTABLE
            """;
    @RegisterExtension
    final FakeUnum fake = new FakeUnum()
            .json("GET /api/v1/processes/7/capabilities", 200, Fixtures.caps())
            .json("PATCH /api/v1/processes/7/capabilities", 200, Fixtures.caps());

    @Test
    void showsTheFourSets() {
        Cli.Result r = Cli.against(fake).run("caps", "7");
        assertEquals(0, r.exit(), r.err());
        assertEquals(SETS, r.out());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "caps 7 -CHECKPOINTABLE                     | effective             | -CHECKPOINTABLE               | false",
        "caps 7 +CAN_MIGRATE                        | effective             | +CAN_MIGRATE                  | false",
        "caps 7 -e -CHECKPOINTABLE,+CAN_MIGRATE     | effective             | -CHECKPOINTABLE,+CAN_MIGRATE  | false",
        "caps 7 -p -CHECKPOINTABLE                  | permitted             | -CHECKPOINTABLE               | false",
        "caps 7 -p +CHECKPOINTABLE --force          | permitted             | +CHECKPOINTABLE               | true",
        "caps 7 -i -DISTANT_FORK                    | inheritableEffective  | -DISTANT_FORK                 | false",
        "caps 7 -d -CAN_MIGRATE                     | inheritablePermitted  | -CAN_MIGRATE                  | false",
        "caps 7 --inheritable-permitted=-CAN_MIGRATE | inheritablePermitted | -CAN_MIGRATE                  | false",
    })
    void changesTheChosenSetAndPrintsTheResult(String line, String field, String change, boolean force) throws Exception {
        Cli.Result r = Cli.against(fake).run(line.trim().replace("--inheritable-permitted=", "-d ").split(" +"));
        assertEquals(0, r.exit(), r.err());
        assertEquals(SETS, r.out());
        FakeUnum.Call call = fake.calls("PATCH", "/api/v1/processes/7/capabilities").get(0);
        JsonNode body = Json.MAPPER.readTree(call.body());
        assertEquals(change, body.get(field).asText());
        assertEquals(force ? 2 : 1, body.size(), body.toString());
        assertEquals(force, body.path("force").asBoolean(false));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "caps 7 +NOPE",
        "caps 7 -e",
        "caps 7 --force",
        "caps 7 -e -p +CAN_MIGRATE",
        "caps 7 ,",
        "caps x",
    })
    void rejectsBadFormsWithUsageError(String line) {
        Cli.Result r = Cli.against(fake).run(line.trim().split(" +"));
        assertEquals(2, r.exit(), r.err());
        assertTrue(fake.calls.isEmpty());
    }

    @Test
    void refusalFromTheServerIsPrinted() {
        fake.problem("PATCH /api/v1/processes/7/capabilities", 409, "Capability Denied",
                "permitted capabilities can only be dropped");
        Cli.Result r = Cli.against(fake).run("caps", "7", "-p", "+CHANGE_CAPS");
        assertEquals(1, r.exit());
        assertEquals("unum: Capability Denied: permitted capabilities can only be dropped\n", r.err());
    }
}
