package io.unum.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class AgentMainTest {

    private static final String[] REQUIRED = {"--name", "n", "--control-plane", "127.0.0.1:1", "--state-dir", "/tmp/x",
        "--join-token", "t"};

    private static String[] with(String... more) {
        String[] all = new String[REQUIRED.length + more.length];
        System.arraycopy(REQUIRED, 0, all, 0, REQUIRED.length);
        System.arraycopy(more, 0, all, REQUIRED.length, more.length);
        return all;
    }

    @Test
    void criuLimitsDefaultToAGenerousGhostLimitAndAMinuteForARestore() {
        AgentConfig cfg = AgentMain.parse(REQUIRED);
        assertEquals(256L << 20, cfg.criuGhostLimit());
        assertEquals(Duration.ofSeconds(60), cfg.criuRestoreTimeout());
    }

    @Test
    void criuLimitsAreConfigurable() {
        AgentConfig cfg = AgentMain.parse(with("--criu-ghost-limit", "4M", "--criu-restore-timeout", "5"));
        assertEquals(4L << 20, cfg.criuGhostLimit());
        assertEquals(Duration.ofSeconds(5), cfg.criuRestoreTimeout());
        assertThrows(IllegalArgumentException.class, () -> AgentMain.parse(with("--criu-ghost-limit", "lots")));
    }
}
