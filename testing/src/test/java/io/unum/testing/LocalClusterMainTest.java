package io.unum.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class LocalClusterMainTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return new LocalClusterMain(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), Map.of()).run(args);
    }

    @Test
    void upRefusesWhenThePidsFileListsLiveProcesses(@TempDir Path dir) {
        new PidsFile(dir.resolve("pids")).spawned("control-plane", "control-plane-1", ProcessHandle.current());
        assertEquals(1, run("up", "--dir", dir.toString(), "--no-cli-config"));
        assertTrue(err.toString().contains("already running"), err.toString());
        assertTrue(err.toString().contains("bin/unum-dev down"), err.toString());
        assertTrue(Files.exists(dir.resolve("pids")), "left alone");
    }

    @Test
    void stalePidsAreNotLive(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("pids"), "etcd unum-etcd " + ProcessHandle.current().pid() + " 1000\n"
                + "agent node-1 999999999 0\n");
        assertTrue(new PidsFile(dir.resolve("pids")).live().isEmpty(), "pid reused (start time differs) or gone");
    }

    @Test
    void statusWithoutAClusterSaysNotRunning(@TempDir Path dir) {
        assertEquals(3, run("status", "--dir", dir.toString()));
        assertTrue(out.toString().contains("Not running"), out.toString());
    }

    @Test
    void downWithoutAClusterIsHarmless(@TempDir Path dir) {
        assertEquals(0, run("down", "--dir", dir.toString()));
    }

    @Test
    void badArgumentsPrintUsage() {
        assertEquals(2, run("up", "--agents", "many"));
        assertTrue(err.toString().contains("--agents needs a number"), err.toString());
        assertTrue(err.toString().contains("Usage:"));
        assertEquals(2, run("frobnicate"));
    }

    @Test
    void parsesCapacitiesAndLabels() {
        UpCommand o = (UpCommand) new LocalClusterMain(System.out, System.err, Map.of()).commandLine()
                .parseArgs("up", "--agents", "4", "--agent-cpu-capacity", "0.5", "--agent-memory-capacity=512M",
                        "--label", "node-2:zone=b", "--label", "node-2:disk=ssd")
                .subcommand().commandSpec().userObject();
        assertEquals(0.5, o.agentCpuCapacity);
        assertEquals(512L << 20, o.agentMemoryCapacity);
        assertEquals(Map.of("node-2", Map.of("zone", "b", "disk", "ssd")), o.labels);
        assertEquals(2, run("up", "--label", "zone=b"));
        assertTrue(err.toString().contains("NODE:KEY=VALUE"), err.toString());
        assertEquals(2, run("up", "--agent-cpu-capacity", "-1"));
    }

    @Test
    void parsesDurations() {
        assertEquals(Duration.ofSeconds(3), DurationConverter.parse("3s"));
        assertEquals(Duration.ofSeconds(3), DurationConverter.parse("3"));
        assertEquals(Duration.ofMillis(500), DurationConverter.parse("500ms"));
        assertEquals(Duration.ofSeconds(10), DurationConverter.parse("PT10S"));
        assertThrows(IllegalArgumentException.class, () -> DurationConverter.parse("soon"));
    }

    @Test
    void propertiesFilesAreOwnerOnlyAndReadable(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("unum/cli.properties");
        PrivateProperties.write(file, Map.of("url", "http://127.0.0.1:8080", "token", "abc"), "test");
        Properties p = new Properties();
        try (var r = Files.newBufferedReader(file)) {
            p.load(r);
        }
        assertEquals("http://127.0.0.1:8080", p.getProperty("url"));
        assertEquals("abc", p.getProperty("token"));
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    }
}
