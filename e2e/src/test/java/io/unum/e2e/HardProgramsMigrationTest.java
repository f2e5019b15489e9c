package io.unum.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unum.api.model.CheckpointInfo;
import io.unum.api.model.MigrationInfo;
import io.unum.api.model.MigrationState;
import io.unum.api.model.ProcessInfo;
import io.unum.api.model.ProcessState;
import io.unum.api.model.SpawnRequest;
import io.unum.client.RawResponse;
import io.unum.testing.LocalCluster;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Program classes that break naive checkpointing, each a real program: a POSIX lock holder, a
 * TCP client, a deleted-but-open 4 MiB temporary file, a sort spilling to temporary files, and an
 * exit racing a restore.
 */
@Timeout(300)
class HardProgramsMigrationTest {
    private static LocalCluster cluster;
    private static Api api;
    private static Programs programs;
    private final List<Integer> started = new ArrayList<>();

    @BeforeAll
    static void startCluster() {
        // A ghost limit of 8 MiB: the 4 MiB spill below moves, a 16 MiB one is refused by name.
        cluster = LocalCluster.builder().controlPlanes(1).agents(2).agentArgs(List.of("--criu-ghost-limit", "8M"))
                .build().start();
        api = new Api(cluster.apiUrl(), cluster.adminToken());
        programs = new Programs();
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
        if (programs != null) {
            programs.close();
        }
    }

    @AfterEach
    void killWhatThisTestStarted() {
        for (int gpid : started) {
            api.signal(gpid, "KILL");
        }
    }

    private ProcessInfo spawn(List<String> argv) {
        ProcessInfo p = api.spawn(new SpawnRequest(argv, "node-1", null, programs.dir.toString(), null, null,
                "+CAN_MIGRATE,+CHECKPOINTABLE"));
        started.add(p.gpid());
        return p;
    }

    private static long lines(int gpid) {
        return api.stdout(gpid).lines().count();
    }

    private static void awaitMoreLines(int gpid, int more) {
        long before = lines(gpid);
        Api.await(() -> lines(gpid), n -> n >= before + more, Duration.ofSeconds(30), "gpid " + gpid + " prints on");
    }

    /** Whether some process holds a POSIX lock on file: a non-blocking lockf from another process fails. */
    private static boolean locked(Path file) throws Exception {
        Process p = new ProcessBuilder("python3", "-c", String.join("\n",
                "import fcntl, sys",
                "f = open(sys.argv[1], 'a')",
                "try:",
                "    fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB)",
                "except OSError:",
                "    sys.exit(1)"), file.toString()).redirectErrorStream(true).start();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        return p.exitValue() == 1;
    }

    @Test
    void aLockHolderMovesByStopAndCopyAndPostCopyIsRefusedBeforeFreezing() throws Exception {
        Path lockFile = programs.write("held.lock", "");
        lockFile.toFile().setWritable(true, false);
        ProcessInfo p = spawn(List.of("python3", "-u", "-c", String.join("\n",
                "import fcntl, sys, time",
                "f = open(sys.argv[1], 'w')",
                "fcntl.lockf(f, fcntl.LOCK_EX)",
                "i = 0",
                "while True:",
                "    i += 1",
                "    print(i, flush=True)",
                "    time.sleep(0.05)"), lockFile.toString()));
        awaitMoreLines(p.gpid(), 3);
        assertTrue(locked(lockFile), "the program holds its lock");

        MigrationInfo moved = api.migrate(p.gpid(), "node-2");
        assertEquals(MigrationState.DONE, moved.state(), moved.toString());
        assertEquals("node-2", api.process(p.gpid()).node());
        awaitMoreLines(p.gpid(), 10);
        assertTrue(locked(lockFile), "the lock moved with it");

        RawResponse lazy = api.post("/api/v1/processes/" + p.gpid() + "/migrate", Map.of("node", "node-1", "mode", "POST_COPY"));
        assertEquals(409, lazy.status(), lazy.body());
        assertTrue(lazy.body().toLowerCase().contains("lock"), "the refusal says why: " + lazy.body());
        ProcessInfo after = api.process(p.gpid());
        assertEquals(ProcessState.RUNNING, after.state());
        assertEquals("node-2", after.node());
        awaitMoreLines(p.gpid(), 10);
        assertTrue(locked(lockFile), "still holding its lock");
        assertCountsUp(api.stdout(p.gpid()));
    }

    @Test
    void aTcpClientKeepsItsConnectionStopAndCopyAndPostCopyIsRefusedBeforeFreezing() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            AtomicInteger accepted = new AtomicInteger();
            Thread echo = new Thread(() -> echoEachConnection(server, accepted), "echo-server");
            echo.setDaemon(true);
            echo.start();
            // Prints i only once the server echoed i back on the one connection it keeps.
            ProcessInfo p = spawn(List.of("python3", "-u", "-c", String.join("\n",
                    "import socket, sys, time",
                    "s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))",
                    "f = s.makefile('rw')",
                    "i = 0",
                    "while True:",
                    "    i += 1",
                    "    f.write('%d\\n' % i); f.flush()",
                    "    back = f.readline().strip()",
                    "    if back != str(i):",
                    "        print('echo of %d was %r' % (i, back), flush=True)",
                    "        sys.exit(1)",
                    "    print(i, flush=True)",
                    "    time.sleep(0.05)"), Integer.toString(server.getLocalPort())));
            awaitMoreLines(p.gpid(), 3);

            RawResponse lazy = api.post("/api/v1/processes/" + p.gpid() + "/migrate", Map.of("node", "node-2", "mode", "POST_COPY"));
            assertEquals(409, lazy.status(), lazy.body());
            assertTrue(lazy.body().contains("TCP connections"), "the refusal says why: " + lazy.body());
            assertEquals("node-1", api.process(p.gpid()).node());
            awaitMoreLines(p.gpid(), 5);

            MigrationInfo moved = api.migrate(p.gpid(), "node-2");
            assertEquals(MigrationState.DONE, moved.state(), moved.toString());
            awaitMoreLines(p.gpid(), 10);
            ProcessInfo after = api.process(p.gpid());
            assertEquals(ProcessState.RUNNING, after.state(), after.toString());
            assertEquals("node-2", after.node());
            assertEquals(1, accepted.get(), "the one connection moved with it; it never connected again");
            assertCountsUp(api.stdout(p.gpid()));
        }
    }

    private static void echoEachConnection(ServerSocket server, AtomicInteger accepted) {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                accepted.incrementAndGet();
                Thread t = new Thread(() -> {
                    try (s) {
                        s.getInputStream().transferTo(s.getOutputStream());
                    } catch (IOException e) {
                        // the test ended
                    }
                }, "echo");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    @Test
    void aDeletedButOpenFourMebibyteTemporaryFileMigrates() {
        ProcessInfo p = spawn(List.of("python3", "-u", "-c", String.join("\n",
                "import hashlib, os, tempfile, time",
                "t = tempfile.TemporaryFile()",
                "t.write(os.urandom(4 << 20))",
                "t.flush()",
                "def digest():",
                "    t.seek(0)",
                "    return hashlib.sha256(t.read()).hexdigest()",
                "first = digest()",
                "i = 0",
                "while True:",
                "    i += 1",
                "    print(i, os.fstat(t.fileno()).st_size, digest() == first, flush=True)",
                "    time.sleep(0.05)")));
        awaitMoreLines(p.gpid(), 3);

        MigrationInfo moved = api.migrate(p.gpid(), "node-2");
        assertEquals(MigrationState.DONE, moved.state(), moved.toString());
        assertEquals("node-2", api.process(p.gpid()).node());
        awaitMoreLines(p.gpid(), 10);
        List<String> lines = api.stdout(p.gpid()).lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            assertEquals((i + 1) + " " + (4 << 20) + " True", lines.get(i), "line " + i + ": the file came along, whole");
        }
    }

    /**
     * A sort that spilled to a deleted temporary file bigger than the agent's ghost limit: CRIU
     * cannot carry it, and the migration says so, naming the option that raises the limit; the
     * program runs on where it was, its output whole.
     */
    @Test
    void aDeletedButOpenFileOverTheGhostLimitIsRefusedNamingTheOption() {
        ProcessInfo p = spawn(List.of("python3", "-u", "-c", String.join("\n",
                "import os, tempfile, time",
                "t = tempfile.TemporaryFile()",
                "t.write(os.urandom(16 << 20))",
                "t.flush()",
                "i = 0",
                "while True:",
                "    i += 1",
                "    print(i, flush=True)",
                "    time.sleep(0.05)")));
        awaitMoreLines(p.gpid(), 3);

        MigrationInfo refused = api.migrate(p.gpid(), "node-2");
        assertEquals(MigrationState.ROLLED_BACK, refused.state(), refused.toString());
        assertTrue(refused.reason().contains("ghost limit") && refused.reason().contains("--criu-ghost-limit"),
                refused.reason());
        ProcessInfo after = api.process(p.gpid());
        assertEquals(ProcessState.RUNNING, after.state(), after.toString());
        assertEquals("node-1", after.node());
        awaitMoreLines(p.gpid(), 10);
        assertCountsUp(api.stdout(p.gpid()));
    }

    /**
     * A real coreutils sort that spills to temporary files (-S 64K, -T its own directory) while
     * its input trickles in through a pipe; it is moved stop-and-copy and back post-copy mid-sort,
     * with temporary files on disk and more to come. Its output must be the sorted input, every
     * line once. (GNU sort keeps its spills as named files until it merged them, so they move as
     * open or closed files by path: the same host here, shared storage between machines.)
     */
    @Test
    void aSortSpillingToTemporaryFilesMigratesMidSortAndItsOutputIsTheSortedInput() throws Exception {
        Path input = programs.dir.resolve("sort-input.txt");
        Random random = new Random(9);
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 200_000; i++) {
            text.append(Long.toHexString(random.nextLong())).append(' ').append(i).append('\n');
        }
        Files.writeString(input, text);
        Path spills = programs.dir.resolve("sort-spills");
        Files.createDirectories(spills);
        spills.toFile().setWritable(true, false);
        Path output = programs.dir.resolve("sort-output.txt");
        Path go = programs.dir.resolve("sort-go");
        // Half the input, then a pause until the test says go: the moves happen mid-sort, whatever the machine's speed.
        String feeder = String.join("\n",
                "import os, sys, time",
                "lines = open(sys.argv[1]).readlines()",
                "for i, line in enumerate(lines):",
                "    sys.stdout.write(line)",
                "    if i == len(lines) // 2:",
                "        sys.stdout.flush()",
                "        while not os.path.exists(sys.argv[2]):",
                "            time.sleep(0.05)");
        ProcessInfo p = spawn(List.of("bash", "-c", "python3 -c \"$0\" \"$1\" \"$2\" | LC_ALL=C sort -S 64K -T \"$3\" -o \"$4\"",
                feeder, input.toString(), go.toString(), spills.toString(), output.toString()));
        Api.await(() -> spillFiles(spills), n -> n >= 3, Duration.ofSeconds(60), "sort spilled to temporary files");

        MigrationInfo there = api.migrate(p.gpid(), "node-2", "STOP_AND_COPY");
        assertEquals(MigrationState.DONE, there.state(), there.toString());
        MigrationInfo back = api.migrate(p.gpid(), "node-1", "POST_COPY");
        assertEquals(MigrationState.DONE, back.state(), back.toString());
        assertEquals(ProcessState.RUNNING, api.process(p.gpid()).state(), "still sorting after both moves");
        Files.writeString(go, "");
        go.toFile().setReadable(true, false);

        ProcessInfo end = api.awaitProcess(p.gpid(), x -> x.state() == ProcessState.EXITED, Duration.ofSeconds(120));
        assertEquals(0, end.exitCode(), end.toString());
        List<String> expected = new ArrayList<>(text.toString().lines().toList());
        Collections.sort(expected); // ASCII lines: the order of LC_ALL=C sort
        assertEquals(sha256(String.join("\n", expected) + "\n"), sha256(Files.readString(output)),
                "the output is the sorted input, every line once");
    }

    private static long spillFiles(Path dir) {
        try (var files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().startsWith("sort")).count();
        } catch (IOException e) {
            return 0;
        }
    }

    private static String sha256(String text) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(text.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void aProgramExitingRightAfterItsRestoreEndsExitedWithItsCodeAndOutput() {
        // It waits for a wall-clock moment: restored after that moment, it exits within ms of the restore.
        long deadline = System.currentTimeMillis() + 4000;
        ProcessInfo p = spawn(List.of("python3", "-u", "-c", String.join("\n",
                "import sys, time",
                "print('ready', flush=True)",
                "while time.time() * 1000 < " + deadline + ":",
                "    time.sleep(0.01)",
                "print('bye', flush=True)",
                "sys.exit(3)")));
        Api.await(() -> api.stdout(p.gpid()), out -> out.contains("ready"), Duration.ofSeconds(30), "it started");
        RawResponse cp = api.post("/api/v1/processes/" + p.gpid() + "/checkpoints", Map.of("kill", true));
        assertEquals(201, cp.status(), cp.body());
        assertTrue(System.currentTimeMillis() < deadline, "checkpointed before its exit: make the window longer");
        api.awaitState(p.gpid(), ProcessState.EXITED);
        Api.await(System::currentTimeMillis, now -> now > deadline + 200, Duration.ofSeconds(10), "its moment passed");

        RawResponse restarted = api.post("/api/v1/checkpoints/" + cp.as(CheckpointInfo.class).id() + "/restart", Map.of("node", "node-2"));
        assertEquals(200, restarted.status(), restarted.body());
        ProcessInfo end = api.awaitProcess(p.gpid(), x -> x.state() != ProcessState.RUNNING && x.state() != ProcessState.PENDING,
                Duration.ofSeconds(30));
        assertEquals(ProcessState.EXITED, end.state(), end.toString());
        assertEquals(3, end.exitCode(), end.toString());
        assertNotEquals("node-1", end.node(), "it ended where it was restarted");
        assertEquals("ready\nbye\n", api.stdout(p.gpid()));
    }

    private static void assertCountsUp(String output) {
        List<String> lines = output.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            assertEquals(Integer.toString(i + 1), lines.get(i), "line " + i + ": nothing lost, nothing doubled");
        }
    }
}
