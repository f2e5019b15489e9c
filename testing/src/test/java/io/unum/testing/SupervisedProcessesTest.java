package io.unum.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class SupervisedProcessesTest {
    /** Like a shim: its own session and process group, with a child (the "program"). */
    private static Process fakeShim(Path log) {
        return OsProcesses.spawn(List.of("sh", "-c", "sleep 600 & echo $! > " + log.resolveSibling("child.pid") + "; wait"),
                log, true, env -> { });
    }

    @Test
    void killsListedShimsWithTheirProcessGroupAndPrograms(@TempDir Path stateDir) throws Exception {
        Path proc = Files.createDirectories(stateDir.resolve("processes/0000000001"));
        Process shim = OsProcesses.spawn(List.of("sh", "-c", "sleep 600 & echo $! > " + proc.resolve("pid") + "; wait"),
                stateDir.resolve("shim.log"), true, env -> { });
        Files.writeString(proc.resolve("shim.pid"), Long.toString(shim.pid()));
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (!Files.exists(proc.resolve("pid")) || Files.readString(proc.resolve("pid")).isBlank()) {
            assertTrue(System.nanoTime() < deadline, "fake shim wrote its program's pid");
            Thread.sleep(20);
        }
        Thread.sleep(50); // let the write finish
        long programPid = Long.parseLong(Files.readString(proc.resolve("pid")).trim());
        ProcessHandle program = ProcessHandle.of(programPid).orElseThrow();
        assertEquals(shim.pid(), OsProcesses.processGroup(shim.pid()).orElseThrow(), "shim leads its own group");

        assertEquals(2, SupervisedProcesses.live(stateDir).size());
        assertEquals(2, SupervisedProcesses.killAll(stateDir));

        assertTrue(shim.waitFor(5, java.util.concurrent.TimeUnit.SECONDS));
        assertTrue(OsProcesses.awaitExit(program, Duration.ofSeconds(5)));
        assertTrue(SupervisedProcesses.live(stateDir).isEmpty());
        assertTrue(ProcessHandle.current().isAlive(), "and we survived");
    }

    @Test
    void ignoresPidFilesOlderThanTheProcessNowUsingThatPid(@TempDir Path stateDir) throws Exception {
        Path proc = Files.createDirectories(stateDir.resolve("processes/0000000002"));
        Process unrelated = fakeShim(stateDir.resolve("unrelated.log"));
        try {
            Path pidFile = proc.resolve("shim.pid");
            Files.writeString(pidFile, Long.toString(unrelated.pid()));
            Files.setLastModifiedTime(pidFile, FileTime.from(Instant.now().minus(Duration.ofHours(1))));
            assertTrue(SupervisedProcesses.live(stateDir).isEmpty(), "a pid reused after the file was written is not ours");
            assertEquals(0, SupervisedProcesses.killAll(stateDir));
            assertTrue(unrelated.isAlive());
        } finally {
            OsProcesses.killGroup(unrelated.pid());
            unrelated.destroyForcibly().waitFor();
        }
        assertFalse(unrelated.isAlive());
    }

    @Test
    void missingOrGarbledStateDirIsEmpty(@TempDir Path stateDir) throws Exception {
        assertTrue(SupervisedProcesses.live(stateDir.resolve("nope")).isEmpty());
        Path proc = Files.createDirectories(stateDir.resolve("processes/0000000003"));
        Files.writeString(proc.resolve("pid"), "not a pid");
        assertTrue(SupervisedProcesses.live(stateDir).isEmpty());
    }

    @Test
    void strayShimsNamingTheClusterAreKilledWithTheirProgramsButAnAgentNamingItsStateDirIsNot(@TempDir Path clusterDir)
            throws Exception {
        Path stateDir = Files.createDirectories(clusterDir.resolve("agents/node-1"));
        Path procDir = stateDir.resolve("processes/0000000004");
        // No pid file lists these, as with a shim whose process dir was removed under it.
        Process stray = OsProcesses.spawn(List.of("sh", "-c", "sleep 600 & echo $! > " + clusterDir.resolve("child.pid")
                + "; wait", procDir.toString()), clusterDir.resolve("stray.log"), true, env -> { });
        Process agentLike = OsProcesses.spawn(List.of("sh", "-c", "sleep 600", stateDir.toString()),
                clusterDir.resolve("agent.log"), true, env -> { });
        try {
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (!Files.exists(clusterDir.resolve("child.pid")) || Files.readString(clusterDir.resolve("child.pid")).isBlank()) {
                assertTrue(System.nanoTime() < deadline, "the stray wrote its program's pid");
                Thread.sleep(20);
            }
            Thread.sleep(50); // let the write finish
            ProcessHandle program = ProcessHandle.of(Long.parseLong(Files.readString(clusterDir.resolve("child.pid")).trim()))
                    .orElseThrow();

            List<String> killed = SupervisedProcesses.killStrays(clusterDir);

            assertEquals(1, killed.size(), killed.toString());
            assertTrue(killed.get(0).contains(procDir.toString()), killed.get(0));
            assertTrue(stray.waitFor(5, java.util.concurrent.TimeUnit.SECONDS));
            assertTrue(OsProcesses.awaitExit(program, Duration.ofSeconds(5)));
            assertTrue(agentLike.isAlive(), "a process naming only a node's state dir (an agent) is left alone");
        } finally {
            for (Process p : List.of(stray, agentLike)) {
                OsProcesses.killGroup(p.pid());
                p.destroyForcibly().waitFor();
            }
        }
    }
}
