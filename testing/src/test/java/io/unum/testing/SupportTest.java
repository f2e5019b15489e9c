package io.unum.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(10)
class SupportTest {
    @Test
    void preferredPortIsUsedOnlyWhenFree() throws Exception {
        try (ServerSocket taken = new ServerSocket(0)) {
            int port = taken.getLocalPort();
            assertFalse(Ports.isFree(port));
            assertNotEquals(port, Ports.preferredOrFree(port));
        }
        int free = Ports.free();
        assertEquals(free, Ports.preferredOrFree(free));
    }

    @Test
    void tokensAre32HexCharsAndDiffer() {
        String a = Tokens.random();
        assertTrue(a.matches("[0-9a-f]{32}"), a);
        assertNotEquals(a, Tokens.random());
    }

    @Test
    void locatesTheRepositoryFromTheModule() {
        Path root = RepoLayout.locate().root();
        assertTrue(Files.isRegularFile(root.resolve("mvnw")));
        assertTrue(Files.isDirectory(root.resolve("testing")));
    }

    @Test
    void missingJarSaysHowToBuildIt(@TempDir Path dir) {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> RepoLayout.at(dir).agentJar());
        assertTrue(e.getMessage().contains("./mvnw -q -DskipTests install"), e.getMessage());
        e = assertThrows(IllegalStateException.class, () -> RepoLayout.at(dir).controlPlaneJar());
        assertTrue(e.getMessage().contains("quarkus-run.jar"), e.getMessage());
    }

    @Test
    void tailKeepsTheLastLines(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("x.log");
        Files.writeString(log, "1\n2\n3\n4\n");
        assertEquals("3" + System.lineSeparator() + "4", OsProcesses.tail(log, 2));
        assertTrue(OsProcesses.tail(dir.resolve("none"), 2).contains("no log"));
    }
}
