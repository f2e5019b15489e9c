package io.unum.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.unum.api.model.ProcessInfo;
import io.unum.api.model.ProcessState;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import org.junit.jupiter.api.Test;

class FormatTest {

    @Test
    void sizesUseBinaryPrefixesWithOneDecimal() {
        assertEquals("0B", Format.bytes(0L));
        assertEquals("1023B", Format.bytes(1023L));
        assertEquals("1.0K", Format.bytes(1024L));
        assertEquals("1.5K", Format.bytes(1536L));
        assertEquals("23.4G", Format.bytes((long) (23.4 * 1024 * 1024 * 1024)));
        assertEquals("1.0M", Format.bytes(1024L * 1024 - 1)); // not "1024.0K"
        assertEquals("2.0T", Format.bytes(2L << 40));
        assertEquals("-", Format.bytes(null));
    }

    @Test
    void startIsTimeOfDayWhenTodayElseDate() {
        ZoneId utc = ZoneId.of("UTC");
        Instant now = Instant.parse("2025-03-04T18:00:00Z");
        assertEquals("09:05:07", Format.start(Instant.parse("2025-03-04T09:05:07Z"), now, utc));
        assertEquals("2025-03-03", Format.start(Instant.parse("2025-03-03T23:59:59Z"), now, utc));
        assertEquals("-", Format.start(null, now, utc));
    }

    @Test
    void stateShowsExitCodeOrSignal() {
        assertEquals("EXITED(3)", Format.state(process(ProcessState.EXITED, 3, null)));
        assertEquals("EXITED(SIGTERM)", Format.state(process(ProcessState.EXITED, null, 15)));
        assertEquals("EXITED(SIG34)", Format.state(process(ProcessState.EXITED, null, 34)));
        assertEquals("RUNNING", Format.state(process(ProcessState.RUNNING, null, null)));
        assertEquals("LOST", Format.state(process(ProcessState.LOST, null, null)));
    }

    @Test
    void commandQuotesArgumentsWithBlanks() {
        assertEquals("sh -c 'echo hi'", Format.command(List.of("sh", "-c", "echo hi")));
        assertEquals("-", Format.command(List.of()));
        assertEquals("python3 -c 'a\\nb'", Format.command(List.of("python3", "-c", "a\nb")));
    }

    static ProcessInfo process(ProcessState state, Integer code, Integer signal) {
        return new ProcessInfo(1, null, "n1", 100, List.of("sleep", "1"), "/", "nobody", List.of(), state,
                code, signal, null, null, null, null, null, null, null);
    }
}
