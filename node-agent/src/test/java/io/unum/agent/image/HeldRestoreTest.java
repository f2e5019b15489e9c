package io.unum.agent.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.unum.agent.output.OutputStream;
import io.unum.agent.process.Dumping;
import io.unum.agent.process.ProcFs;
import io.unum.agent.process.ProcessSupervisor;
import io.unum.agent.process.ProcessView;
import io.unum.agent.process.StartSpec;
import io.unum.agent.process.SupervisionException;
import io.unum.agent.support.Await;
import io.unum.agent.support.Supervised;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fence of a migration (held restores), the truth after an ambiguous failure
 * (DescribeProcess), dumps interrupted by an agent's death, and CRIU's refusals, with real CRIU.
 */
@Timeout(180)
class HeldRestoreTest {

    @TempDir
    Path nodeA;
    @TempDir
    Path nodeB;

    ProcessSupervisor a;
    ProcessSupervisor b;
    ProcessImages imagesA;
    ProcessImages imagesB;
    Criu criu;
    final List<ProcessView> exitsOnB = new CopyOnWriteArrayList<>();

    @BeforeEach
    void open() {
        assumeTrue("root".equals(System.getProperty("user.name")), "CRIU and pid namespaces need root");
        Optional<Criu> located = ProcessImagesTest.criu();
        assertTrue(located.isPresent(), "CRIU is required: run scripts/install-criu.sh");
        criu = located.get();
        a = ProcessSupervisor.open(nodeA, 1 << 20);
        imagesA = new ProcessImages(a.handoff(), new ImageStore(nodeA), located, "a");
        openB();
    }

    private void openB() {
        b = ProcessSupervisor.open(nodeB, 1 << 20);
        b.addExitListener(exitsOnB::add);
        imagesB = new ProcessImages(b.handoff(), new ImageStore(nodeB), Optional.of(criu), "b");
    }

    @AfterEach
    void cleanUp() {
        for (ProcessSupervisor s : new ProcessSupervisor[] {a, b}) {
            if (s != null) {
                for (ProcessView v : s.list()) {
                    if (v.held()) {
                        try {
                            s.remove(v.gpid());
                        } catch (SupervisionException e) {
                            // gone meanwhile
                        }
                    }
                }
                Supervised.killAll(s);
                s.close();
            }
        }
    }

    private static StartSpec counter(int gpid) {
        return new StartSpec(gpid, List.of("bash", "-c", "i=0; while true; do echo $i; i=$((i+1)); sleep 0.02; done"),
                "/", "nobody", Map.of("PATH", "/usr/bin:/bin"));
    }

    private static StartSpec python(int gpid, String... lines) {
        return new StartSpec(gpid, List.of("python3", "-u", "-c", String.join("\n", lines)), "/", "nobody",
                Map.of("PATH", "/usr/bin:/bin"));
    }

    private void copyImage(String id) throws IOException {
        Path from = imagesA.store().find(id).orElseThrow().dir();
        Path to = nodeB.resolve("images").resolve(id);
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : files.toList()) {
                Path t = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(f, t);
                }
            }
        }
    }

    private int lines(ProcessSupervisor s, int gpid) {
        return (int) Supervised.output(s, gpid, OutputStream.STDOUT).lines().count();
    }

    /** Moves a counter from a to b, restoring it there held. */
    private ProcessImages.Restored moveHeld(int gpid, String image) throws Exception {
        a.start(counter(gpid));
        Await.until("some output", () -> lines(a, gpid) > 3);
        imagesA.dump(gpid, image, false);
        copyImage(image);
        return imagesB.restore(gpid, image, null, true);
    }

    @Test
    void aHeldRestoreNeverRunsUntilReleasedEvenAcrossAnAgentRestart() throws Exception {
        ProcessImages.Restored r = moveHeld(21, "m-21");
        assertTrue(r.held());
        assertTrue(ProcFs.isStopped(r.localPid()), "the restored program is stopped");
        int frozen = lines(b, 21);
        Thread.sleep(300);
        assertEquals(frozen, lines(b, 21), "a held tree writes nothing");
        assertEquals(Whereabouts.Presence.HELD, imagesB.describe(21).presence());
        assertEquals(Whereabouts.Presence.LEFT, imagesA.describe(21).presence());
        assertEquals(List.of("m-21"), imagesA.describe(21).images());

        ProcessImages.Restored retried = imagesB.restore(21, "m-21", null, true);
        assertEquals(r.localPid(), retried.localPid(), "a retried held restore answers the same tree");
        assertTrue(retried.held());

        b.close(); // the agent restarts on the same state dir
        openB();
        ProcessView adopted = b.get(21).orElseThrow();
        assertTrue(adopted.held() && adopted.running());
        assertEquals(Optional.of("m-21"), adopted.restoredFrom());
        assertTrue(ProcFs.isStopped(r.localPid()), "still stopped after the restart");

        SupervisionException other = assertThrows(SupervisionException.class, () -> imagesB.release(21, "m-other"));
        assertEquals(SupervisionException.Reason.FAILED_PRECONDITION, other.reason());
        SupervisionException unknown = assertThrows(SupervisionException.class, () -> imagesB.release(404, "m-21"));
        assertEquals(SupervisionException.Reason.NOT_FOUND, unknown.reason());

        imagesB.release(21, "m-21");
        imagesB.release(21, "m-21"); // idempotent
        assertFalse(b.get(21).orElseThrow().held());
        Await.until("it runs once released", Duration.ofSeconds(10), () -> lines(b, 21) > frozen + 10);
        assertFalse(ProcFs.isStopped(r.localPid()));
        assertEquals(Whereabouts.Presence.RUNNING, imagesB.describe(21).presence());
        assertEquals("m-21", imagesB.describe(21).process().orElseThrow().restoredFrom().orElseThrow());

        b.signal(21, 9);
        Supervised.awaitEnded(b, 21);
        assertEquals(Whereabouts.Presence.ENDED, imagesB.describe(21).presence());
        // The watcher marks the process ended before it calls its exit listeners.
        Await.until("a released tree's end is an exit", Duration.ofSeconds(10), () -> !exitsOnB.isEmpty());
        assertEquals(1, exitsOnB.size(), "a released tree's end is one exit: " + exitsOnB);
    }

    @Test
    void aDiscardedHeldCopyEndsWithoutAnExitReport() throws Exception {
        moveHeld(22, "m-22");
        b.remove(22);
        assertTrue(b.get(22).isEmpty(), "removed at once");
        assertEquals(Whereabouts.Presence.LEFT, imagesB.describe(22).presence(), "only the image is left on b");

        imagesB.restore(22, "m-22", null, true);
        b.signal(22, 9);
        Await.until("the killed held copy is forgotten", Duration.ofSeconds(10), () -> b.get(22).isEmpty());
        assertTrue(exitsOnB.isEmpty(), "a discarded held copy is not the process's exit: " + exitsOnB);
        assertTrue(imagesB.restore(22, "m-22", null, true).held(), "a new held restore can follow");
    }

    @Test
    void theTruthAfterAnAgentDiedMidDumpIsThatTheProcessLeft() throws Exception {
        a.start(python(23, "import time", "blob = bytearray(300 << 20)",
                "for i in range(0, len(blob), 4096): blob[i] = 1", "print('ready')",
                "while True: time.sleep(0.05)"));
        Await.until("300 MiB touched", Duration.ofSeconds(60), () -> lines(a, 23) > 0);
        // What the dying agent had done: marked the dump, started CRIU in its own session, recorded it.
        Dumping d = a.handoff().beginDump(23, "r-23");
        Image partial = imagesA.store().createPartial("r-23");
        Files.createDirectories(partial.criuDir());
        Process dump = criu.startDump(d.initPid(), partial.criuDir(), false);
        d.criuStarted(dump, false);
        // It had begun adding its own part too (the chaos run found an agent killed right there).
        Files.writeString(partial.spec(), "half-written");
        a.close(); // the agent is gone; CRIU and the shim are not

        a = ProcessSupervisor.open(nodeA, 1 << 20);
        imagesA = new ProcessImages(a.handoff(), new ImageStore(nodeA), Optional.of(criu), "a");
        assertEquals(Whereabouts.Presence.DUMPING, imagesA.describe(23).presence());
        imagesA.recoverInterruptedDumps().get(120, TimeUnit.SECONDS);
        assertEquals(0, dump.exitValue(), "CRIU finished its dump");
        Whereabouts w = imagesA.describe(23);
        assertEquals(Whereabouts.Presence.LEFT, w.presence(), "not an exit: " + w);
        assertEquals(List.of("r-23"), w.images());
        assertTrue(a.get(23).isEmpty());

        int pid = imagesA.restore(23, "r-23", null).localPid();
        assertTrue(ProcFs.startTime(pid).isPresent(), "the image is whole: it restores");
    }

    /**
     * A post-copy dump whose image was published when the agent died: its CRIU (in a session of
     * its own) serves the pages on. The next agent must not wait for a restore elsewhere that may
     * never come (the process stayed DUMPING, frozen, and the migration with it): it answers LEFT
     * with the image, and a restore of that image here cancels the move.
     */
    @Test
    void aPostCopyDumpStillServingAfterAnAgentRestartIsLeftAndCancellable() throws Exception {
        a.start(counter(27));
        Await.until("some output", () -> lines(a, 27) > 3);
        // What the dying agent had done: the lazy dump begun and recorded, its image published.
        Dumping d = a.handoff().beginDump(27, "p-27");
        Image partial = imagesA.store().createPartial("p-27");
        Files.createDirectories(partial.criuDir());
        Process dump = criu.startLazyDump(d.initPid(), partial.criuDir(), freePort());
        d.criuStarted(dump, true);
        assertTrue(dump.getInputStream().read() >= 0, "criu wrote the image and serves the pages");
        long[] ends = d.drainOutput(Duration.ofSeconds(30));
        Dumping.Exported exported = d.export(partial.spec(), partial.outputDir());
        partial.writeMeta(new Image.Meta(27, ends[0], ends[1], exported.pipeInodes()));
        partial.seal();
        imagesA.store().publish(partial);
        a.close(); // the agent is gone; CRIU and the shim are not

        a = ProcessSupervisor.open(nodeA, 1 << 20);
        imagesA = new ProcessImages(a.handoff(), new ImageStore(nodeA), Optional.of(criu), "a");
        imagesA.recoverInterruptedDumps().get(30, TimeUnit.SECONDS);
        Whereabouts w = imagesA.describe(27);
        assertEquals(Whereabouts.Presence.LEFT, w.presence(), "frozen in a served image, not DUMPING for ever: " + w);
        assertEquals(List.of("p-27"), w.images());
        int frozen = lines(a, 27);

        int pid = imagesA.restore(27, "p-27", null).localPid();
        assertEquals(a.get(27).orElseThrow().localPid(), pid, "the same tree, let go by CRIU");
        Await.until("it counts on", Duration.ofSeconds(30), () -> lines(a, 27) > frozen + 10);
        assertFalse(dump.isAlive(), "the cancelled CRIU is gone");
        assertEquals(Whereabouts.Presence.RUNNING, imagesA.describe(27).presence());
    }

    private static int freePort() throws IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void aDeletedFileOverTheGhostLimitIsNamedInTheRefusal() throws Exception {
        String[] program = {"import tempfile, time", "f = tempfile.TemporaryFile(dir='/tmp')",
            "f.write(b'x' * (4 << 20)); f.flush()", "print('ready')", "while True: time.sleep(0.05)"};
        a.start(python(24, program));
        Await.until("the deleted file is written", Duration.ofSeconds(30), () -> lines(a, 24) > 0);
        ProcessImages small = new ProcessImages(a.handoff(), imagesA.store(),
                Optional.of(criu.withLimits(1 << 20, Duration.ofSeconds(60))), "a");
        SupervisionException e = assertThrows(SupervisionException.class, () -> small.dump(24, "g-24", false));
        assertTrue(e.getMessage().contains("larger than the ghost limit") && e.getMessage().contains("--criu-ghost-limit"),
                e.getMessage());
        assertTrue(a.get(24).orElseThrow().running(), "a refused dump leaves it running");
        imagesA.dump(24, "g-24", true); // the default limit (256 MiB) carries it
        assertTrue(imagesA.store().find("g-24").isPresent());
    }

    @Test
    void aProcessHoldingPosixLocksIsRefusedPostCopyBeforeAnythingFreezes() throws Exception {
        Path lockFile = Path.of("/tmp/unum-lock-test-" + ProcessHandle.current().pid());
        try {
            a.start(python(25, "import fcntl, time", "f = open('" + lockFile + "', 'w')", "fcntl.lockf(f, fcntl.LOCK_EX)",
                    "print('locked')", "while True: time.sleep(0.05)"));
            Await.until("the lock is taken", Duration.ofSeconds(30), () -> lines(a, 25) > 0);
            SupervisionException e = assertThrows(SupervisionException.class, () -> imagesA.dumpLazy(25, "l-25"));
            assertEquals(SupervisionException.Reason.FAILED_PRECONDITION, e.reason());
            assertTrue(e.getMessage().contains("holds POSIX file locks") && e.getMessage().contains("stop-and-copy"),
                    e.getMessage());
            assertEquals(Whereabouts.Presence.RUNNING, imagesA.describe(25).presence(), "nothing was frozen");
            assertTrue(imagesA.store().find("l-25").isEmpty());
        } finally {
            Files.deleteIfExists(lockFile);
        }
    }

    @Test
    void aProgramThatEndsRightAfterItsRestoreKeepsItsRealExitStatus() throws Exception {
        a.start(new StartSpec(26, List.of("sleep", "1"), "/", "nobody", Map.of("PATH", "/usr/bin:/bin")));
        imagesA.dump(26, "s-26", false);
        Thread.sleep(1200); // its sleep's deadline passes while it is an image: restored, it ends at once
        int pid = imagesA.restore(26, "s-26", null).localPid();
        assertTrue(pid > 0);
        ProcessView ended = Supervised.awaitEnded(a, 26);
        assertEquals(Optional.of(io.unum.agent.process.ProcessExit.code(0)), ended.exit(), "its own exit, not a failed restore");
    }

    /**
     * A restore whose CRIU dies (killed, OOM) after it made the tree leaves no task behind. The
     * restored init is the shim's child (--restore-sibling), in a session of its own: the shim
     * gave up and ended, and the tasks CRIU had made were orphaned, waiting in CRIU's restore for
     * ever and counted as a second copy of the process (chaos seed -6703964896699249637, where a
     * CRIU fault hit a restart's restore).
     */
    @Test
    void aRestoreWhoseCriuIsKilledAfterItMadeTheTreeLeavesNoTaskBehind() throws Exception {
        // 200 MiB to restore: the tree exists a while before CRIU is done with it.
        a.start(python(27, "import time", "blob = bytearray(200 << 20)",
                "for i in range(0, len(blob), 4096): blob[i] = 1", "print('ready')",
                "while True: time.sleep(0.05)"));
        Await.until("200 MiB touched", Duration.ofSeconds(60), () -> lines(a, 27) > 0);
        imagesA.dump(27, "m-27", false);
        copyImage("m-27");

        java.util.concurrent.CompletableFuture<ProcessImages.Restored> restore = java.util.concurrent.CompletableFuture
                .supplyAsync(() -> {
                    try {
                        return imagesB.restore(27, "m-27", null, true);
                    } catch (SupervisionException e) {
                        throw new java.util.concurrent.CompletionException(e);
                    }
                });
        Path shimPid = nodeB.resolve("processes").resolve("27").resolve("shim.pid");
        long root = 0;
        long criuPid = 0;
        // The shim's children: criu (forked first) and, once criu made it, the restored init
        // (--restore-sibling); both are named criu at first, so they are told apart by pid order.
        for (long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30); root == 0 && System.nanoTime() < deadline; ) {
            String shim = Files.exists(shimPid) ? Files.readString(shimPid).trim() : "";
            if (shim.isEmpty()) {
                continue;
            }
            List<Long> children;
            try {
                children = Stream.of(Files.readString(Path.of("/proc/" + shim + "/task/" + shim + "/children")).trim()
                        .split("\\s+")).filter(c -> !c.isEmpty()).map(Long::parseLong).sorted().toList();
            } catch (IOException gone) {
                continue;
            }
            if (children.size() >= 2) {
                criuPid = children.get(0);
                root = children.get(1);
            }
        }
        assumeTrue(root != 0 && criuPid != 0, "the restore's tree was caught before CRIU was done with it");
        ProcessHandle.of(criuPid).ifPresent(ProcessHandle::destroyForcibly);

        java.util.concurrent.ExecutionException failed = assertThrows(java.util.concurrent.ExecutionException.class,
                () -> restore.get(60, TimeUnit.SECONDS));
        assertTrue(failed.getCause() instanceof SupervisionException, failed.toString());
        long made = root;
        Await.until("no task of the half-restored tree is left", Duration.ofSeconds(10),
                () -> ProcessHandle.of(made).isEmpty() || comm(made).isEmpty());
        assertTrue(b.get(27).isEmpty(), "nothing is supervised on b");
    }

    /** A process's name, "" once it is gone (or a zombie waiting to be reaped). */
    private static String comm(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            if (stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z")) {
                return "";
            }
            return Files.readString(Path.of("/proc/" + pid + "/comm")).trim();
        } catch (IOException | RuntimeException gone) {
            return "";
        }
    }
}
