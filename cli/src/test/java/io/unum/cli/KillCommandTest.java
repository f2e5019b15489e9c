package io.unum.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unum.client.Json;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@Timeout(value = 20, unit = TimeUnit.SECONDS)
class KillCommandTest {
    @RegisterExtension
    final FakeUnum fake = new FakeUnum();

    @BeforeEach
    void cannedSignalReplies() {
        for (int gpid = 1; gpid <= 3; gpid++) {
            fake.json("POST /api/v1/processes/" + gpid + "/signal", 202, null);
        }
    }

    @Test
    void dashNineSignalsEveryGpid() throws Exception {
        Cli.Result r = Cli.against(fake).run("kill", "-9", "1", "2");
        assertEquals(0, r.exit(), r.err());
        assertEquals(List.of("9"), sent("/api/v1/processes/1/signal"));
        assertEquals(List.of("9"), sent("/api/v1/processes/2/signal"));
        assertEquals(2, fake.calls.size());
        assertEquals("", r.out());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "kill 1              | TERM",
        "kill -KILL 1        | KILL",
        "kill -SIGKILL 1     | SIGKILL",
        "kill -s USR1 1      | USR1",
        "kill --signal=HUP 1 | HUP",
        "kill -s 15 1        | 15",
        "kill -15 -- 1       | 15",
        "kill -kill 1        | kill",
    })
    void acceptsTheArgumentFormsOfKill(String line, String signal) throws Exception {
        Cli.Result r = Cli.against(fake).run(line.trim().split(" +"));
        assertEquals(0, r.exit(), r.err());
        assertEquals(List.of(signal), sent("/api/v1/processes/1/signal"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "kill -NOPE 1",
        "kill -s NOPE 1",
        "kill -9",
        "kill -9 -KILL 1",
        "kill -s 9 -KILL 1",
        "kill -99 1",
    })
    void rejectsBadFormsWithUsageErrorAndSendsNothing(String line) {
        Cli.Result r = Cli.against(fake).run(line.trim().split(" +"));
        assertEquals(2, r.exit(), r.err());
        assertTrue(fake.calls.isEmpty());
    }

    @Test
    void continuesAfterAFailureAndExitsOne() throws Exception {
        Cli.Result r = Cli.against(fake).run("kill", "1", "7", "x", "2");
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("unum: kill 7: Not Found: "), r.err());
        assertTrue(r.err().contains("unum: kill x: not a gpid"), r.err());
        assertEquals(List.of("TERM"), sent("/api/v1/processes/1/signal"));
        assertEquals(List.of("TERM"), sent("/api/v1/processes/2/signal"));
    }

    @Test
    void listsSignals() {
        Cli.Result r = new Cli().run("kill", "-l");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().startsWith("HUP INT QUIT"), r.out());
        assertTrue(r.out().contains(" KILL ") && r.out().contains(" TERM "), r.out());
        assertEquals("KILL\n9\n", new Cli().run("kill", "-l", "9", "SIGKILL").out());
    }

    private List<String> sent(String path) throws Exception {
        var result = new java.util.ArrayList<String>();
        for (FakeUnum.Call c : fake.calls("POST", path)) {
            result.add(Json.MAPPER.readTree(c.body()).get("signal").asText());
        }
        return result;
    }
}
