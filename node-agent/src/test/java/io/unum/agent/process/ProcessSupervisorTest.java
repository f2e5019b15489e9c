package io.unum.agent.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.unum.agent.output.OutputStore;
import io.unum.agent.output.OutputStream;
import io.unum.agent.support.Await;
import io.unum.agent.support.Supervised;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The supervision layer against the real unum-shim and real processes. */
class ProcessSupervisorTest {

    @TempDir
    Path stateDir;

    ProcessSupervisor supervisor;

    @BeforeEach
    void open() {
        supervisor = ProcessSupervisor.open(stateDir, 1 << 20);
    }

    @AfterEach
    void cleanUp() {
        Supervised.killAll(supervisor);
        supervisor.close();
    }

    private static StartSpec sh(int gpid, String script) {
        return StartSpec.of(gpid, "/bin/sh", "-c", script);
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void capturesStdoutAndStderrSeparatelyWithAbsoluteOffsets() throws Exception {
        int pid = supervisor.start(sh(1, "printf hello; printf oops >&2; printf ' world'; printf '!' >&2"));
        assertTrue(pid > 0);
        ProcessView v = Supervised.awaitEnded(supervisor, 1);
        assertEquals(ProcessExit.code(0), v.exit().orElseThrow());
        assertEquals("hello world", Supervised.output(supervisor, 1, OutputStream.STDOUT));
        assertEquals("oops!", Supervised.output(supervisor, 1, OutputStream.STDERR));
        OutputStore store = new OutputStore(supervisor.procDir(1).orElseThrow().dir());
        OutputStore.Chunk c = store.read(OutputStream.STDOUT, 6, 100);
        assertEquals(6, c.offset());
        assertEquals("world", new String(c.data(), StandardCharsets.UTF_8));
        assertEquals(null, store.read(OutputStream.STDOUT, 11, 100), "nothing after the end");
        assertEquals(3, store.read(OutputStream.STDERR, 0, 3).data().length, "max is honoured");
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void boundedOutputKeepsTheNewestBytes() throws Exception {
        supervisor.close();
        supervisor = ProcessSupervisor.open(stateDir, 1000);
        StringBuilder expected = new StringBuilder();
        for (int i = 0; i < 3000; i++) {
            expected.append(i).append('\n');
        }
        supervisor.start(sh(2, "i=0; while [ $i -lt 3000 ]; do echo $i; i=$((i+1)); done"));
        Supervised.awaitEnded(supervisor, 2);

        OutputStore store = new OutputStore(supervisor.procDir(2).orElseThrow().dir());
        long oldest = store.oldestOffset(OutputStream.STDOUT);
        int total = expected.length();
        assertTrue(oldest >= total - 1000, "at most the limit is kept, oldest=" + oldest);
        assertTrue(oldest <= total - 500, "at least half the limit is kept, oldest=" + oldest);
        OutputStore.Chunk first = store.read(OutputStream.STDOUT, 0, OutputStore.MAX_CHUNK);
        assertEquals(oldest, first.offset(), "an offset that was dropped skips to the oldest kept byte");
        assertEquals(expected.substring((int) oldest), Supervised.output(supervisor, 2, OutputStream.STDOUT));
        try (Stream<Path> files = Files.list(supervisor.procDir(2).orElseThrow().dir())) {
            assertTrue(files.filter(f -> f.getFileName().toString().startsWith("stdout.")).count() <= 2);
        }
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void reportsTheExitCode() throws Exception {
        supervisor.start(sh(3, "exit 3"));
        assertEquals(ProcessExit.code(3), Supervised.awaitEnded(supervisor, 3).exit().orElseThrow());
        assertEquals("code 3\n", Files.readString(supervisor.procDir(3).orElseThrow().dir().resolve("exit")));
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void reportsTheSignalThatKilledIt() throws Exception {
        List<ProcessView> exits = new CopyOnWriteArrayList<>();
        supervisor.addExitListener(exits::add);
        supervisor.start(StartSpec.of(4, "sleep", "60"));
        assertTrue(supervisor.get(4).orElseThrow().running());
        supervisor.signal(4, 15);
        assertEquals(ProcessExit.signal(15), Supervised.awaitEnded(supervisor, 4).exit().orElseThrow());
        Await.until("the exit listener", () -> exits.size() == 1);
        assertEquals(4, exits.get(0).gpid());

        SupervisionException ended = assertThrows(SupervisionException.class, () -> supervisor.signal(4, 15));
        assertEquals(SupervisionException.Reason.FAILED_PRECONDITION, ended.reason());
        SupervisionException unknown = assertThrows(SupervisionException.class, () -> supervisor.signal(99, 15));
        assertEquals(SupervisionException.Reason.NOT_FOUND, unknown.reason());
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void execFailureIsAFailedPreconditionAndTheProcessIsListedAsEnded() throws Exception {
        // Executable bits but no valid format: only execve can tell.
        Path bogus = stateDir.resolve("bogus");
        Files.write(bogus, new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
        Files.setPosixFilePermissions(bogus, PosixFilePermissions.fromString("rwxr-xr-x"));
        SupervisionException e = assertThrows(SupervisionException.class,
                () -> supervisor.start(StartSpec.of(5, bogus.toString())));
        assertEquals(SupervisionException.Reason.FAILED_PRECONDITION, e.reason());
        assertTrue(e.getMessage().contains("Exec format error"), e.getMessage());
        ProcessView v = supervisor.get(5).orElseThrow();
        assertFalse(v.running());
        assertEquals(0, v.localPid());
        assertTrue(supervisor.isExitReported(5), "the caller already knows: no exit report");
        supervisor.remove(5);
        assertFalse(Files.exists(stateDir.resolve("processes/5")));
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void execFailureOfAFileTheUserMayNotExecute() throws Exception {
        assumeTrue(supervisor.runsAsRoot(), "needs root to switch users");
        Path rootOnly = stateDir.resolve("root-only");
        Files.writeString(rootOnly, "#!/bin/sh\necho hi\n");
        Files.setPosixFilePermissions(rootOnly, PosixFilePermissions.fromString("rwx------"));
        SupervisionException e = assertThrows(SupervisionException.class,
                () -> supervisor.start(StartSpec.of(6, rootOnly.toString()).withUser("nobody").withCwd("/")));
        assertEquals(SupervisionException.Reason.FAILED_PRECONDITION, e.reason());
        assertTrue(e.getMessage().contains("Permission denied"), e.getMessage());
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void validationErrorsSayWhatToFixAndCreateNothing() throws Exception {
        Path notExecutable = stateDir.resolve("plain");
        Files.writeString(notExecutable, "data");
        assertInvalid(StartSpec.of(7, "nosuch-binary-xyz"), "binary 'nosuch-binary-xyz' not found on PATH");
        assertInvalid(StartSpec.of(7, "/nope/bin/x"), "binary /nope/bin/x does not exist");
        assertInvalid(StartSpec.of(7, notExecutable.toString()), "is not executable");
        assertInvalid(StartSpec.of(7, "true").withCwd("/nope"), "cwd /nope does not exist");
        assertInvalid(StartSpec.of(7, "true").withUser("ghost-user-xyz"), "user 'ghost-user-xyz' does not exist");
        assertInvalid(new StartSpec(7, List.of(), "", "", Map.of()), "argv must not be empty");
        try (Stream<Path> dirs = Files.list(stateDir.resolve("processes"))) {
            assertEquals(0, dirs.count(), "nothing created on disk");
        }
        assertTrue(supervisor.list().isEmpty());
    }

    private void assertInvalid(StartSpec spec, String message) {
        SupervisionException e = assertThrows(SupervisionException.class, () -> supervisor.start(spec));
        assertEquals(SupervisionException.Reason.INVALID_ARGUMENT, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void aGpidCanOnlyBeStartedOnce() throws Exception {
        supervisor.start(sh(8, "exit 0"));
        SupervisionException e = assertThrows(SupervisionException.class, () -> supervisor.start(sh(8, "exit 0")));
        assertEquals(SupervisionException.Reason.ALREADY_EXISTS, e.reason());
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void passesTheEnvironmentAndCwdWithoutAShell() throws Exception {
        supervisor.start(StartSpec.of(9, "env").withCwd("/tmp").withEnv(Map.of("GREETING", "hello $HOME;")));
        Supervised.awaitEnded(supervisor, 9);
        String env = Supervised.output(supervisor, 9, OutputStream.STDOUT);
        assertTrue(env.contains("GREETING=hello $HOME;\n"), env);
        assertTrue(env.contains("PATH="), env);
        supervisor.start(StartSpec.of(10, "pwd").withCwd("/tmp"));
        Supervised.awaitEnded(supervisor, 10);
        assertEquals("/tmp\n", Supervised.output(supervisor, 10, OutputStream.STDOUT));
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void removeRefusesARunningProcessAndIsIdempotent() throws Exception {
        supervisor.start(StartSpec.of(11, "sleep", "60"));
        SupervisionException e = assertThrows(SupervisionException.class, () -> supervisor.remove(11));
        assertEquals(SupervisionException.Reason.FAILED_PRECONDITION, e.reason());
        supervisor.signal(11, 9);
        Supervised.awaitEnded(supervisor, 11);
        supervisor.remove(11);
        supervisor.remove(11);
        assertTrue(supervisor.get(11).isEmpty());
        assertFalse(Files.exists(stateDir.resolve("processes/11")));
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void runsAsTheRequestedUser() throws Exception {
        assumeTrue(supervisor.runsAsRoot(), "needs root to switch users");
        int pid = supervisor.start(StartSpec.of(12, "sleep", "60").withUser("nobody").withCwd("/"));
        String status = Files.readString(Path.of("/proc", Integer.toString(pid), "status"));
        String uid = status.lines().filter(l -> l.startsWith("Uid:")).findFirst().orElseThrow();
        int nobody = Integer.parseInt(new ProcessBuilder("id", "-u", "nobody").start()
                .inputReader().readLine().trim());
        for (String field : uid.substring(4).trim().split("\\s+")) {
            assertEquals(nobody, Integer.parseInt(field), uid);
        }
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void runsAsADynamicIdentityWithoutAPasswdEntryAndWithoutNewPrivileges() throws Exception {
        assumeTrue(supervisor.runsAsRoot(), "needs root to switch users");
        supervisor.start(sh(17, "id -u; id -g; id -G; umask; grep -E '^(NoNewPrivs|CapEff):' /proc/self/status")
                .withIdentity(64999, 64998).withCwd("/"));
        assertEquals(ProcessExit.code(0), Supervised.awaitEnded(supervisor, 17).exit().orElseThrow());
        List<String> out = Supervised.output(supervisor, 17, OutputStream.STDOUT).lines().toList();
        assertEquals("64999", out.get(0), "uid: " + out);
        assertEquals("64998", out.get(1), "gid: " + out);
        assertEquals("64998", out.get(2).trim(), "no supplementary groups: " + out);
        assertEquals("0007", out.get(3), "what it creates is not readable by other identities: " + out);
        assertTrue(out.contains("NoNewPrivs:\t1"), out.toString());
        assertTrue(out.contains("CapEff:\t0000000000000000"), out.toString());
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void newPrivilegesOnlyWhenAsked() throws Exception {
        supervisor.start(sh(18, "grep NoNewPrivs /proc/self/status").withNewPrivs(true));
        Supervised.awaitEnded(supervisor, 18);
        assertEquals("NoNewPrivs:\t0\n", Supervised.output(supervisor, 18, OutputStream.STDOUT));
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void stateFilesAreTheAgentsAlone() throws Exception {
        supervisor.start(sh(19, "echo secret-output").withEnv(Map.of("DB_PASSWORD", "s3cret")));
        Supervised.awaitEnded(supervisor, 19);
        Path dir = supervisor.procDir(19).orElseThrow().dir();
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.getParent())));
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.toList()) {
                assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)), f.toString());
            }
        }
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void runsInItsOwnPidNamespace() throws Exception {
        assumeTrue(supervisor.runsAsRoot(), "pid namespaces need root");
        int hostPid = supervisor.start(sh(13, "echo $$; readlink /proc/self/ns/pid"));
        Supervised.awaitEnded(supervisor, 13);
        String[] lines = Supervised.output(supervisor, 13, OutputStream.STDOUT).trim().split("\n");
        int nsPid = Integer.parseInt(lines[0]);
        assertTrue(nsPid <= 2, "pid inside the namespace is small: " + nsPid);
        assertNotEquals(nsPid, hostPid, "local_pid is the host pid");
        assertNotEquals(Files.readSymbolicLink(Path.of("/proc/self/ns/pid")).toString(), lines[1],
                "a pid namespace of its own");
    }

    @Test
    @Timeout(value = 40, unit = TimeUnit.SECONDS)
    void aNewSupervisorReadoptsRunningProcessesAndSeesTheirExit() throws Exception {
        Path go = stateDir.resolve("go");
        int pid = supervisor.start(sh(14, "echo before; while [ ! -e " + go + " ]; do sleep 0.05; done; echo after; exit 7")
                .withCwd("/"));
        Await.until("first output", () -> Supervised.output(supervisor, 14, OutputStream.STDOUT).equals("before\n"));
        supervisor.close(); // the "agent" goes away; the program must not notice

        supervisor = new ProcessSupervisor(stateDir, 1 << 20, stateDir.resolve("bin/unum-shim"));
        List<ProcessView> exits = new CopyOnWriteArrayList<>();
        supervisor.addExitListener(exits::add);
        ProcessView adopted = supervisor.get(14).orElseThrow();
        assertTrue(adopted.running());
        assertEquals(pid, adopted.localPid());
        Files.createFile(go);
        assertEquals(ProcessExit.code(7), Supervised.awaitEnded(supervisor, 14).exit().orElseThrow());
        Await.until("the exit listener", () -> exits.size() == 1);
        assertEquals("before\nafter\n", Supervised.output(supervisor, 14, OutputStream.STDOUT));
        assertEquals(List.of(14), supervisor.endedUnreported().stream().map(ProcessView::gpid).toList());
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void forgetKillsARunningProcessAndDeletesItOnceEnded() throws Exception {
        supervisor.start(StartSpec.of(15, "sleep", "60"));
        supervisor.forget(15);
        Await.until("gpid 15 to be forgotten", () -> supervisor.get(15).isEmpty()
                && !Files.exists(stateDir.resolve("processes/15")));
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void startsQuickly() throws Exception {
        supervisor.start(StartSpec.of(16, "true")); // warm-up
        long[] millis = new long[9];
        for (int i = 0; i < millis.length; i++) {
            long t0 = System.nanoTime();
            supervisor.start(StartSpec.of(100 + i, "true"));
            millis[i] = TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - t0);
        }
        java.util.Arrays.sort(millis);
        System.err.println("spawn latency (us): min " + millis[0] + ", median " + millis[4] + ", max " + millis[8]);
        assertTrue(millis[4] < 500_000, "median spawn took " + millis[4] + " us");
    }

}
