package io.unum.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class AgentMainTest {

    private static final String[] REQUIRED = {"--name", "n", "--control-plane", "127.0.0.1:1", "--state-dir", "/tmp/x",
        "--join-token-file", TestJoinToken.file("t")};

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

    @Test
    void theJoinTokenComesFromItsFileAndAFileOthersMayReadIsRefused() throws Exception {
        assertEquals("t", AgentMain.parse(REQUIRED).joinToken());
        Path open = Path.of(TestJoinToken.file("t"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rw-r--r--"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AgentMain.parse(
                "--name", "n", "--control-plane", "127.0.0.1:1", "--state-dir", "/tmp/x", "--join-token-file", open.toString()));
        assertTrue(e.getMessage().contains("chmod 600"), e.getMessage());
    }

    @Test
    void theCaIsGivenByItsHashOrItsFileNotBoth() {
        String hash = "sha256:" + "ab".repeat(32);
        assertEquals(hash, AgentMain.parse(with("--ca-cert-hash", hash.toUpperCase(java.util.Locale.ROOT).replace("SHA", "sha")))
                .caCertHash().toString());
        IllegalArgumentException malformed = assertThrows(IllegalArgumentException.class,
                () -> AgentMain.parse(with("--ca-cert-hash", "ab".repeat(32))));
        assertTrue(malformed.getMessage().contains("--ca-cert-hash") && malformed.getMessage().contains("sha256:<64 hex digits>"),
                malformed.getMessage());
        IllegalArgumentException both = assertThrows(IllegalArgumentException.class,
                () -> AgentMain.parse(with("--ca-cert-hash", hash, "--ca-file", "/tmp/ca.crt")));
        assertTrue(both.getMessage().contains("give one"), both.getMessage());
    }
}
