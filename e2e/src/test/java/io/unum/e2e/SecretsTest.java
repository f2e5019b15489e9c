package io.unum.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unum.api.model.ProcessInfo;
import io.unum.api.model.ProcessState;
import io.unum.testing.LocalCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 10, finding 1: a program started through Unum (an unprivileged user on the cluster's host)
 * looks for the cluster's tokens wherever the host shows them — every process's command line and
 * environment, the cluster directory with its logs, /tmp — and finds none.
 */
@Timeout(180)
class SecretsTest {
    private static LocalCluster cluster;
    private static Api admin;

    @BeforeAll
    static void startCluster() {
        cluster = LocalCluster.builder().controlPlanes(1).agents(1).build().start();
        admin = new Api(cluster.apiUrl(), cluster.adminToken());
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aProgramStartedThroughUnumFindsNoToken() {
        Path dir = cluster.dir();
        // Prints every 32-hex-digit word it can read (the tokens' shape), then what it could see.
        String scan = String.join("\n",
                "for f in /proc/[0-9]*/cmdline /proc/[0-9]*/environ; do tr '\\0' '\\n' < \"$f\"; done 2>/dev/null"
                        + " | grep -aoE '[0-9a-f]{32}'",
                "find " + dir + " " + dir.getParent() + " /tmp -maxdepth 4 -type f -size -8M -readable 2>/dev/null"
                        + " | while read -r f; do grep -aoE '[0-9a-f]{32}' \"$f\"; done 2>/dev/null",
                "echo uid=$(id -u) cmdlines=$(cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\\0' '\\n' | grep -c .)");
        ProcessInfo p = admin.spawn(List.of("sh", "-c", scan));
        admin.awaitProcess(p.gpid(), x -> x.state() == ProcessState.EXITED, Duration.ofSeconds(60));
        String out = admin.stdout(p.gpid());

        assertTrue(out.contains("uid="), out);
        assertNotEquals("0", field(out, "uid"), "the scan must run unprivileged, as a program started through Unum does");
        assertTrue(Integer.parseInt(field(out, "cmdlines")) > 0, "the scan read the host's command lines: " + out);
        for (Map.Entry<String, String> token : Map.of("admin", cluster.adminToken(), "viewer", cluster.viewerToken(),
                "join", cluster.joinToken()).entrySet()) {
            assertFalse(out.contains(token.getValue()), "the " + token.getKey() + " token is readable: " + out);
        }
    }

    @Test
    void theClusterDirAndItsLogsAreTheOwnersAlone() throws Exception {
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(cluster.dir())));
        try (Stream<Path> logs = Files.list(cluster.logDir())) {
            for (Path log : logs.toList()) {
                assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(log)), log.toString());
                String text = Files.readString(log);
                for (String token : List.of(cluster.adminToken(), cluster.viewerToken(), cluster.joinToken())) {
                    assertFalse(text.contains(token), "a token in " + log);
                }
            }
        }
    }

    private static String field(String out, String name) {
        int at = out.lastIndexOf(name + "=");
        String rest = out.substring(at + name.length() + 1);
        return rest.split("[\\s]")[0];
    }
}
