package io.unum.agent.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unum.agent.AgentConfig;
import io.unum.agent.AgentMain;
import io.unum.agent.cgroup.Capacity;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProfileOptionsTest {

    @Test
    void labelsAndCapacityComeFromTheCommandLineAndSetTheReportedSize() {
        AgentConfig cfg = AgentMain.parse("--name", "n", "--control-plane", "127.0.0.1:1", "--state-dir", "/tmp/s",
                "--join-token-file", io.unum.agent.TestJoinToken.file("t"), "--label", "zone=a", "--label", "disk=ssd", "--cpu-capacity", "0.5",
                "--memory-capacity", "512M");
        assertEquals(new NodeProfileSettings(Map.of("zone", "a", "disk", "ssd"), new Capacity(0.5, 512L << 20)), cfg.profile());
        assertEquals(1, cfg.cores(), "half a core is reported as one");
        assertEquals(512L << 20, cfg.memoryBytes());
    }

    @Test
    void malformedOptionsAreRefusedWithTheirName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AgentMain.parse("--name", "n",
                "--control-plane", "h:1", "--state-dir", "/tmp/s", "--join-token-file", io.unum.agent.TestJoinToken.file("t"), "--label", "zone"));
        assertEquals(true, e.getMessage().contains("--label 'zone'"), e.getMessage());
        IllegalArgumentException size = assertThrows(IllegalArgumentException.class, () -> withMemoryCapacity("12X"));
        assertTrue(size.getMessage().contains("--memory-capacity '12X'"), size.getMessage());
        assertEquals(2L << 30, withMemoryCapacity("2g").profile().capacity().memoryBytes());
    }

    private static AgentConfig withMemoryCapacity(String size) {
        return AgentMain.parse("--name", "n", "--control-plane", "h:1", "--state-dir", "/tmp/s", "--join-token-file", io.unum.agent.TestJoinToken.file("t"),
                "--memory-capacity", size);
    }
}
