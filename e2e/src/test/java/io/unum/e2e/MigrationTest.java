package io.unum.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unum.api.model.MigrationInfo;
import io.unum.api.model.MigrationState;
import io.unum.api.model.ProcessInfo;
import io.unum.api.model.ProcessState;
import io.unum.api.model.SpawnRequest;
import io.unum.client.RawResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Live migration of unmodified programs between real agents with real CRIU: each migrated run
 * must print exactly what an unmigrated run of the same program prints, and a follower of its
 * output must see every byte once and in order.
 */
@Timeout(300)
class MigrationTest extends ClusterTest {
    MigrationTest() {
        super(3);
    }

    private ProcessInfo spawn(List<String> argv, String node) {
        ProcessInfo p = api.spawn(new SpawnRequest(argv, node, null, programs().dir.toString(), null, null, "+CAN_MIGRATE"));
        started.add(p.gpid());
        return p;
    }

    /** Waits until the process printed at least n lines, so that it is mid-run when it moves. */
    private void awaitLines(int gpid, int n) {
        Api.await(() -> api.stdout(gpid).lines().count(), c -> c >= n, Duration.ofSeconds(30), "output of " + gpid);
    }

    /** Runs argv twice on node-1, migrates one run to node-2 and then node-3 mid-way; both must print the same. */
    private void assertMigratedRunPrintsTheSame(List<String> argv, int linesBeforeMove) {
        ProcessInfo control = spawn(argv, "node-1");
        ProcessInfo moved = spawn(argv, "node-1");
        Api.Follower follower = api.follow(moved.gpid());
        awaitLines(moved.gpid(), linesBeforeMove);

        MigrationInfo first = api.migrate(moved.gpid(), "node-2");
        assertEquals(MigrationState.DONE, first.state(), first.toString());
        assertEquals("node-2", api.process(moved.gpid()).node());
        awaitLines(moved.gpid(), linesBeforeMove * 2);
        MigrationInfo second = api.migrate(moved.gpid(), "node-3");
        assertEquals(MigrationState.DONE, second.state(), second.toString());

        ProcessInfo ended = api.awaitProcess(moved.gpid(), p -> p.state() == ProcessState.EXITED, Duration.ofSeconds(120));
        assertEquals(0, ended.exitCode(), "the migrated run exits 0");
        assertEquals("node-3", ended.node());
        assertEquals(0, api.awaitProcess(control.gpid(), p -> p.state() == ProcessState.EXITED, Duration.ofSeconds(120)).exitCode());
        String expected = api.stdout(control.gpid());
        assertTrue(expected.lines().count() > linesBeforeMove * 2, "the program printed after the moves: " + expected);
        assertEquals(expected, api.stdout(moved.gpid()), "the migrated run printed what the unmigrated one did");
        assertEquals(expected, follower.await(Duration.ofSeconds(60)), "the follower saw every byte once, in order");
        assertPhasesReported(first);
        assertPhasesReported(second);
    }

    /** Where the time of a move went: each phase in the record, and the freeze and phases as Prometheus histograms. */
    private void assertPhasesReported(MigrationInfo m) {
        for (Long phase : new Long[] {m.freezeMillis(), m.preFreezeMillis(), m.dumpMillis(), m.transferMillis(),
                m.restoreMillis(), m.postResumeMillis(), m.totalMillis()}) {
            assertTrue(phase != null && phase >= 0, "every phase of " + m);
        }
        assertTrue(m.preFreezeMillis() + m.freezeMillis() + m.postResumeMillis() <= m.totalMillis() + 1,
                "the run-up, the freeze and what followed are parts of the whole: " + m);
        MigrationInfo kept = api.client().migration(m.id());
        assertEquals(List.of(m.preFreezeMillis(), m.transferMillis(), m.postResumeMillis()),
                List.of(kept.preFreezeMillis(), kept.transferMillis(), kept.postResumeMillis()), "the record as the API keeps it");
        String metrics = api.get("/q/metrics").body();
        // A bucket line is the series' name, its labels in either order, then its count.
        for (List<String> series : List.of(List.of("unum_migration_freeze_seconds_bucket{", "le=\"0.5\""),
                List.of("unum_migration_phase_seconds_bucket{", "phase=\"transfer\"", "le=\"0.1\""),
                List.of("unum_migration_phase_seconds_bucket{", "phase=\"post_resume\"", "le=\"+Inf\""))) {
            assertTrue(metrics.lines().anyMatch(l -> l.startsWith(series.get(0)) && series.stream().allMatch(l::contains)),
                    series + " in " + metrics.lines().filter(l -> l.startsWith("unum_migration")).collect(Collectors.joining("\n")));
        }
    }

    @Test
    void aBashLoopMigratesWithItsOutputStreamIntact() {
        assertMigratedRunPrintsTheSame(Programs.bashCounter(250), 20);
    }

    @Test
    void aPythonProgramKeepsItsStateInMemory() {
        assertMigratedRunPrintsTheSame(Programs.python(250), 20);
    }

    @Test
    void aMultiThreadedJavaProgramMigrates() {
        assertMigratedRunPrintsTheSame(programs().java(250), 20);
    }

    @Test
    void aCProgramAppendingToAnOpenFileMigrates() throws Exception {
        Path movedFile = programs().dir.resolve("moved.txt");
        Path controlFile = programs().dir.resolve("control.txt");
        ProcessInfo control = spawn(programs().cAppender(250, controlFile), "node-1");
        ProcessInfo moved = spawn(programs().cAppender(250, movedFile), "node-1");
        Api.await(() -> lineCount(movedFile), n -> n >= 20,
                Duration.ofSeconds(30), "lines in " + movedFile);
        assertEquals(MigrationState.DONE, api.migrate(moved.gpid(), "node-2").state());
        assertEquals(0, api.awaitProcess(moved.gpid(), p -> p.state() == ProcessState.EXITED, Duration.ofSeconds(120)).exitCode());
        assertEquals(0, api.awaitProcess(control.gpid(), p -> p.state() == ProcessState.EXITED, Duration.ofSeconds(120)).exitCode());
        List<String> expected = IntStream.range(0, 250).mapToObj(i -> "line " + i).toList();
        assertEquals(expected, Files.readAllLines(controlFile));
        assertEquals(expected, Files.readAllLines(movedFile), "every line appended once, in order, across the move");
        assertEquals(api.stdout(control.gpid()), api.stdout(moved.gpid()));
    }

    private static int lineCount(Path file) {
        try {
            return Files.exists(file) ? Files.readAllLines(file).size() : 0;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void twentyMigrationsBackAndForthKeepTheGpidAndEveryLine() {
        ProcessInfo p = spawn(Programs.bashCounter(100_000), "node-1");
        Api.Follower follower = api.follow(p.gpid());
        awaitLines(p.gpid(), 5);
        for (int i = 0; i < 20; i++) {
            String to = i % 2 == 0 ? "node-2" : "node-1";
            MigrationInfo m = api.migrate(p.gpid(), to);
            assertEquals(MigrationState.DONE, m.state(), "move " + i + ": " + m);
            ProcessInfo now = api.process(p.gpid());
            assertEquals(to, now.node());
            assertEquals(ProcessState.RUNNING, now.state());
        }
        awaitLines(p.gpid(), 10);
        api.signal(p.gpid(), "TERM");
        assertEquals(15, api.awaitProcess(p.gpid(), q -> q.state() == ProcessState.EXITED, Duration.ofSeconds(30)).exitSignal());
        String seen = follower.await(Duration.ofSeconds(60));
        List<String> lines = seen.lines().toList();
        assertEquals(IntStream.range(0, lines.size()).mapToObj(Integer::toString).collect(Collectors.toList()), lines,
                "0, 1, 2, ... with nothing lost or doubled");
        assertTrue(lines.size() > 10);
    }

    @Test
    void postCopyMovesOnlyTheImageWithoutItsPagesAndIsChosenForLargeProcesses() {
        List<String> big = List.of("python3", "-u", "-c", String.join("\n",
                "import os, time",
                "blob = bytearray(os.urandom(1 << 20)) * 256",
                "i = 0",
                "while True:",
                "    print(i, blob[(i * 4096) % len(blob)] >= 0)",
                "    i += 1",
                "    time.sleep(0.02)"));
        ProcessInfo p = spawn(big, "node-1");
        Api.Follower follower = api.follow(p.gpid());
        awaitLines(p.gpid(), 10);
        MigrationInfo copied = api.migrate(p.gpid(), "node-2", "STOP_AND_COPY");
        assertEquals(MigrationState.DONE, copied.state(), copied.toString());
        MigrationInfo lazy = api.migrate(p.gpid(), "node-1", "POST_COPY");
        assertEquals(MigrationState.DONE, lazy.state(), lazy.toString());
        assertEquals(io.unum.api.model.MigrationMode.POST_COPY, lazy.mode());
        assertTrue(lazy.imageBytes() * 4 < copied.imageBytes(), "post-copy moved " + lazy.imageBytes()
                + " bytes up front, stop-and-copy " + copied.imageBytes());
        // Unnamed, the mode follows the resident size the heartbeats report (256 MiB ≥ 32M).
        Api.await(() -> api.process(p.gpid()), q -> "node-1".equals(q.node()) && q.rssBytes() != null
                && q.rssBytes() > (128L << 20), Duration.ofSeconds(30), "its resident size reported on node-1");
        MigrationInfo chosen = api.migrate(p.gpid(), "node-2", null);
        assertEquals(MigrationState.DONE, chosen.state(), chosen.toString());
        assertEquals(io.unum.api.model.MigrationMode.POST_COPY, chosen.mode(), "chosen by size");
        ProcessInfo moved = api.process(p.gpid());
        assertEquals("node-2", moved.node());
        awaitLines(p.gpid(), (int) api.stdout(p.gpid()).lines().count() + 20);
        // Once every page arrived the source lets go of its frozen copy: only one remains.
        Api.await(() -> ProcessHandle.allProcesses().filter(h -> h.info().commandLine().orElse("").contains("blob[(i * 4096)"))
                .count(), n -> n == 1, Duration.ofSeconds(60), "copies of the program");
        api.signal(p.gpid(), "TERM");
        api.awaitState(p.gpid(), ProcessState.EXITED);
        List<String> numbers = follower.await(Duration.ofSeconds(60)).lines().map(l -> l.split(" ")[0]).toList();
        assertEquals(IntStream.range(0, numbers.size()).mapToObj(Integer::toString).toList(), numbers,
                "every line once, in order, across both moves");
    }

    @Test
    void aMigrationToANodeWhereItsPidIsTakenWorks() throws Exception {
        ProcessInfo resident = spawn(List.of("sleep", "300"), "node-2");
        ProcessInfo p = spawn(Programs.bashCounter(100_000), "node-1");
        // Every program is pid 2 of its own namespace: the resident holds that pid on node-2 already.
        assertEquals(nsPid(resident.localPid()), nsPid(p.localPid()));
        assertEquals(MigrationState.DONE, api.migrate(p.gpid(), "node-2").state());
        ProcessInfo moved = api.process(p.gpid());
        assertEquals(nsPid(resident.localPid()), nsPid(moved.localPid()), "restored under its own pid, beside the resident");
        assertEquals(ProcessState.RUNNING, api.process(resident.gpid()).state());
    }

    private static int nsPid(int hostPid) throws Exception {
        String line = Files.readAllLines(Path.of("/proc/" + hostPid + "/status")).stream()
                .filter(l -> l.startsWith("NSpid:")).findFirst().orElseThrow();
        String[] f = line.substring(6).trim().split("\\s+");
        return Integer.parseInt(f[f.length - 1]);
    }

    @Test
    void anEstablishedTcpConnectionSurvivesTheMove() throws Exception {
        try (java.net.ServerSocket server = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            List<String> client = List.of("python3", "-u", "-c", String.join("\n",
                    "import socket, time",
                    "s = socket.create_connection(('127.0.0.1', " + server.getLocalPort() + "))",
                    "f = s.makefile('rw')",
                    "for i in range(100000):",
                    "    f.write('%d\\n' % i); f.flush()",
                    "    print('echo', f.readline().strip())",
                    "    time.sleep(0.02)"));
            ProcessInfo p = spawn(client, "node-1");
            server.setSoTimeout(30_000);
            List<String> received = new java.util.concurrent.CopyOnWriteArrayList<>();
            try (java.net.Socket conn = server.accept()) {
                Thread echo = new Thread(() -> {
                    try (var in = new java.io.BufferedReader(new java.io.InputStreamReader(conn.getInputStream()));
                            var out = new java.io.PrintWriter(conn.getOutputStream(), true)) {
                        String line;
                        while ((line = in.readLine()) != null) {
                            received.add(line);
                            out.println(line);
                        }
                    } catch (java.io.IOException e) {
                        // the connection ended: the assertions below say whether too early
                    }
                });
                echo.setDaemon(true);
                echo.start();
                Api.await(received::size, n -> n >= 20, Duration.ofSeconds(30), "lines over the connection");
                assertEquals(MigrationState.DONE, api.migrate(p.gpid(), "node-2").state());
                int after = received.size();
                Api.await(received::size, n -> n >= after + 20, Duration.ofSeconds(30), "lines after the move");
                server.setSoTimeout(500);
                assertThrows(java.net.SocketTimeoutException.class, server::accept, "the client never reconnected");
                // One snapshot: the client goes on sending while the assertion runs.
                List<String> seen = List.copyOf(received);
                assertEquals(IntStream.range(0, seen.size()).mapToObj(Integer::toString).toList(), seen,
                        "the same connection carried every line once");
                assertTrue(echo.isAlive(), "the connection is still open");
            }
            String printed = api.stdout(p.gpid());
            assertTrue(printed.contains("echo " + 30), printed);
        }
    }

    @Test
    void refusalsSayWhatToFixAndChangeNothing() {
        ProcessInfo plain = api.spawn(new SpawnRequest(List.of("sleep", "300"), "node-1", null, null, null, null, "-CAN_MIGRATE"));
        started.add(plain.gpid());
        ProcessInfo movable = spawn(List.of("sleep", "300"), "node-1");

        RawResponse noCap = api.post("/api/v1/processes/" + plain.gpid() + "/migrate", java.util.Map.of("node", "node-2"));
        assertEquals(409, noCap.status(), noCap.body());
        assertTrue(noCap.contentType().startsWith("application/problem+json"));
        assertTrue(noCap.json().path("detail").asText().contains("CAN_MIGRATE"), noCap.body());

        RawResponse unknownNode = api.post("/api/v1/processes/" + movable.gpid() + "/migrate", java.util.Map.of("node", "nowhere"));
        assertEquals(404, unknownNode.status(), unknownNode.body());

        RawResponse sameNode = api.post("/api/v1/processes/" + movable.gpid() + "/migrate", java.util.Map.of("node", "node-1"));
        assertEquals(409, sameNode.status(), sameNode.body());
        assertTrue(sameNode.json().path("detail").asText().contains("already runs on node-1"), sameNode.body());

        RawResponse noBody = api.postRaw("/api/v1/processes/" + movable.gpid() + "/migrate", "{}");
        assertEquals(400, noBody.status(), noBody.body());

        RawResponse unknownGpid = api.post("/api/v1/processes/999999/migrate", java.util.Map.of("node", "node-2"));
        assertEquals(404, unknownGpid.status(), unknownGpid.body());

        api.signal(movable.gpid(), "KILL");
        api.awaitState(movable.gpid(), ProcessState.EXITED);
        RawResponse ended = api.post("/api/v1/processes/" + movable.gpid() + "/migrate", java.util.Map.of("node", "node-2"));
        assertEquals(409, ended.status(), ended.body());
        assertTrue(ended.json().path("detail").asText().contains("EXITED"), ended.body());

        RawResponse viewer = api.as(cluster.viewerToken()).post("/api/v1/processes/" + plain.gpid() + "/migrate",
                java.util.Map.of("node", "node-2"));
        assertEquals(403, viewer.status(), viewer.body());

        assertEquals("node-1", api.process(plain.gpid()).node(), "nothing moved");
        assertTrue(api.get("/api/v1/migrations?gpid=" + plain.gpid()).json().isEmpty(), "no migration record was written");
    }
}
