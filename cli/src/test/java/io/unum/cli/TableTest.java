package io.unum.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unum.api.model.NodeInfo;
import io.unum.api.model.NodeLoad;
import io.unum.api.model.NodeState;
import io.unum.api.model.ProcessInfo;
import io.unum.api.model.ProcessState;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import org.junit.jupiter.api.Test;

class TableTest {

    @Test
    void alignsColumnsAndRightAlignsNumbers() {
        String s = new Table("NAME", "N>", "LAST")
                .add("a", "1", "x")
                .add("long-name", "100", "")
                .render();
        assertEquals("""
                NAME         N  LAST
                a            1  x
                long-name  100
                """, s);
    }

    @Test
    void cutsTheLastColumnToTheWidth() {
        String s = new Table("A", "CMD").add("x", "0123456789abcdef").render(12);
        for (String line : s.split("\n")) {
            assertTrue(line.length() <= 12, line);
        }
        assertTrue(s.contains("x  012345678\n"), s);
    }

    @Test
    void nodesTableHasHumanSizes() {
        NodeInfo n = new NodeInfo("n1", "10.0.0.1:7000", NodeState.READY, 8, 32L << 30,
                new NodeLoad(1.5, 12.25, (long) (23.4 * (1L << 30)), 7), null, null);
        String s = NodesCommand.table(List.of(n));
        assertEquals("""
                NAME  ADDRESS        STATE  CORES  MEMORY  LOAD1  CPU%   FREE  PROCS
                n1    10.0.0.1:7000  READY      8   32.0G   1.50  12.3  23.4G      7
                """, s);
    }

    @Test
    void psTableTruncatesCommandToColumns() {
        Instant now = Instant.parse("2025-03-04T18:00:00Z");
        ProcessInfo p = new ProcessInfo(42, null, "n1", 4242, List.of("python3", "-c", "x".repeat(300)), "/",
                "nobody", List.of(), ProcessState.RUNNING, null, null, null, null,
                Instant.parse("2025-03-04T09:00:00Z"), Instant.parse("2025-03-04T09:00:01Z"), null, 3.25, 10L << 20);
        String s = PsCommand.table(List.of(p), now, ZoneId.of("UTC"), 80);
        String[] lines = s.split("\n");
        assertTrue(lines[0].startsWith("GPID  NODE   PID  STATE    USER    %CPU    RSS  START     COMMAND"), lines[0]);
        assertTrue(lines[1].startsWith("  42  n1    4242  RUNNING  nobody   3.3  10.0M  09:00:01  python3 -c xxx"), lines[1]);
        assertEquals(80, lines[1].length());
    }
}
