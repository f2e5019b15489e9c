package io.unum.agent.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.unum.agent.output.OutputStream;
import io.unum.agent.process.ProcessExit;
import io.unum.agent.process.ProcessSupervisor;
import io.unum.agent.process.StartSpec;
import io.unum.agent.process.SupervisionException;
import io.unum.agent.support.Await;
import io.unum.agent.support.Supervised;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Dump on one "node" and restore on another (two supervisors with their own state dirs), with
 * real CRIU and real processes running as an unprivileged user.
 */
@Timeout(120)
class ProcessImagesTest {

    @TempDir
    Path nodeA;
    @TempDir
    Path nodeB;

    ProcessSupervisor a;
    ProcessSupervisor b;
    ProcessImages imagesA;
    ProcessImages imagesB;

    static Optional<Criu> criu() {
        Path built = Path.of("").toAbsolutePath().resolveSibling(".tools/criu/bin/criu");
        return Criu.locate(Files.isExecutable(built) ? built : null);
    }

    @BeforeEach
    void open() {
        assumeTrue("root".equals(System.getProperty("user.name")), "CRIU and pid namespaces need root");
        Optional<Criu> criu = criu();
        assertTrue(criu.isPresent(), "CRIU is required: run scripts/install-criu.sh");
        Criu.allowLargePipes().ifPresent(w -> { throw new AssertionError(w); });
        a = ProcessSupervisor.open(nodeA, 1 << 20);
        b = ProcessSupervisor.open(nodeB, 1 << 20);
        imagesA = new ProcessImages(a.handoff(), new ImageStore(nodeA), criu, "a");
        imagesB = new ProcessImages(b.handoff(), new ImageStore(nodeB), criu, "b");
    }

    @AfterEach
    void cleanUp() {
        for (ProcessSupervisor s : new ProcessSupervisor[] {a, b}) {
            if (s != null) {
                Supervised.killAll(s);
                s.close();
            }
        }
    }

    private static StartSpec counter(int gpid) {
        return new StartSpec(gpid, List.of("bash", "-c", "i=0; while true; do echo $i; i=$((i+1)); sleep 0.02; done"),
                "/", "nobody", Map.of("PATH", "/usr/bin:/bin"));
    }

    /** Copies an image between the two nodes' stores, as a transfer would. */
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

    private static List<Integer> numbers(String output) {
        return Arrays.stream(output.split("\n")).filter(s -> !s.isEmpty()).map(Integer::parseInt).toList();
    }

    @Test
    void aProcessDumpedOnOneNodeRunsOnOnTheOtherWithItsOutputContinuing() throws Exception {
        a.start(counter(7));
        Await.until("some output", () -> Supervised.output(a, 7, OutputStream.STDOUT).length() > 20);

        ProcessImages.Dumped dumped = imagesA.dump(7, "m-7", false);
        assertTrue(dumped.imageBytes() > 0);
        assertTrue(a.get(7).isEmpty(), "the process left node a without an exit");
        copyImage("m-7");

        ProcessImages.Restored restored = imagesB.restore(7, "m-7", null);
        assertTrue(restored.localPid() > 0);
        assertEquals(restored.localPid(), imagesB.restore(7, "m-7", null).localPid(), "a repeated restore is idempotent");
        Await.until("output after the restore", Duration.ofSeconds(10),
                () -> numbers(Supervised.output(b, 7, OutputStream.STDOUT)).size() > 60);

        List<Integer> seen = numbers(Supervised.output(b, 7, OutputStream.STDOUT));
        assertEquals(IntStream.range(0, seen.size()).boxed().toList(), seen, "every line once, in order");
        String status = Files.readString(Path.of("/proc/" + restored.localPid() + "/status"));
        assertTrue(status.lines().anyMatch(l -> l.matches("Uid:\\s+65534\\s.*")), "still runs as nobody");

        b.signal(7, 15);
        assertEquals(ProcessExit.signal(15), Supervised.awaitEnded(b, 7).exit().orElseThrow());
    }

    @Test
    void aCheckpointLeavesTheProcessRunningAndRestartsElsewhereAfterItEnded() throws Exception {
        a.start(counter(8));
        Await.until("some output", () -> Supervised.output(a, 8, OutputStream.STDOUT).length() > 10);
        imagesA.dump(8, "c-8", true);
        assertTrue(a.get(8).orElseThrow().running(), "left running");
        long before = numbers(Supervised.output(a, 8, OutputStream.STDOUT)).size();
        Await.until("it goes on", () -> numbers(Supervised.output(a, 8, OutputStream.STDOUT)).size() > before + 5);

        assertThrows(SupervisionException.class, () -> imagesA.restore(8, "c-8", null), "refused while it still runs");
        a.signal(8, 9);
        Supervised.awaitEnded(a, 8);
        copyImage("c-8");
        int pid = imagesB.restore(8, "c-8", null).localPid();
        assertTrue(b.get(8).orElseThrow().running());
        assertTrue(Files.exists(Path.of("/proc/" + pid)));
    }

    /** A process holding 64 MiB of non-zero memory and printing a counter. */
    private static StartSpec bigCounter(int gpid) {
        return new StartSpec(gpid, List.of("python3", "-u", "-c", String.join("\n",
                "import os, time",
                "blob = bytearray(os.urandom(1 << 20)) * 64",
                "i = 0",
                "while True:",
                "    print(i, blob[i % len(blob)] >= 0)",
                "    i += 1",
                "    time.sleep(0.02)")), "/", "nobody", Map.of("PATH", "/usr/bin:/bin"));
    }

    private static List<Integer> counters(String output) {
        return Arrays.stream(output.split("\n")).filter(s -> !s.isEmpty()).map(s -> Integer.parseInt(s.split(" ")[0])).toList();
    }

    @Test
    void postCopyRunsTheProcessOnTheOtherNodeBeforeItsMemoryArrived() throws Exception {
        a.start(bigCounter(10));
        Await.until("some output", Duration.ofSeconds(30), () -> counters(Supervised.output(a, 10, OutputStream.STDOUT)).size() > 5);
        ProcessImages.Dumped dumped = imagesA.dumpLazy(10, "p-10");
        assertTrue(dumped.pageServerPort() > 0);
        assertTrue(dumped.imageBytes() < 16 << 20, "the image leaves the 64 MiB of pages out: " + dumped.imageBytes());
        copyImage("p-10");
        int pid = imagesB.restore(10, "p-10", "127.0.0.1:" + dumped.pageServerPort()).localPid();
        assertTrue(pid > 0);
        Await.until("the source let go once every page was sent", Duration.ofSeconds(60), () -> a.get(10).isEmpty());
        Await.until("output after the move", Duration.ofSeconds(30),
                () -> counters(Supervised.output(b, 10, OutputStream.STDOUT)).size() > 60);
        List<Integer> seen = counters(Supervised.output(b, 10, OutputStream.STDOUT));
        assertEquals(IntStream.range(0, seen.size()).boxed().toList(), seen, "every line once, in order");
    }

    @Test
    void aPostCopyDumpNobodyRestoredCanBeCancelledAndTheProcessRunsOn() throws Exception {
        a.start(bigCounter(11));
        Await.until("some output", Duration.ofSeconds(30), () -> counters(Supervised.output(a, 11, OutputStream.STDOUT)).size() > 5);
        imagesA.dumpLazy(11, "p-11");
        int frozen = counters(Supervised.output(a, 11, OutputStream.STDOUT)).size();
        ProcessImages.Restored resumed = imagesA.restore(11, "p-11", null);
        assertEquals(a.get(11).orElseThrow().localPid(), resumed.localPid(), "the same process, released");
        Await.until("it counts on", Duration.ofSeconds(30),
                () -> counters(Supervised.output(a, 11, OutputStream.STDOUT)).size() > frozen + 10);
        List<Integer> seen = counters(Supervised.output(a, 11, OutputStream.STDOUT));
        assertEquals(IntStream.range(0, seen.size()).boxed().toList(), seen);
        assertTrue(imagesA.store().find("p-11").isEmpty(), "the cancelled image is gone");
    }

    @Test
    void aCorruptedImageIsRefusedByItsChecksum() throws Exception {
        a.start(counter(9));
        imagesA.dump(9, "c-9", false);
        Path pages;
        try (Stream<Path> files = Files.list(imagesA.store().find("c-9").orElseThrow().criuDir())) {
            pages = files.filter(f -> f.getFileName().toString().startsWith("pages-")).findFirst().orElseThrow();
        }
        Files.write(pages, new byte[] {42}, StandardOpenOption.APPEND);
        CorruptImageException e = assertThrows(CorruptImageException.class, () -> imagesA.restore(9, "c-9", null));
        assertTrue(e.getMessage().contains(pages.getFileName().toString()), e.getMessage());
        assertFalse(a.get(9).isPresent(), "nothing was started");
    }

    @Test
    void refusals() {
        SupervisionException unknown = assertThrows(SupervisionException.class, () -> imagesA.dump(404, "x-1", false));
        assertEquals(SupervisionException.Reason.NOT_FOUND, unknown.reason());
        assertThrows(IllegalArgumentException.class, () -> imagesA.dump(1, "../evil", false));
        SupervisionException noImage = assertThrows(SupervisionException.class, () -> imagesA.restore(1, "nope", null));
        assertEquals(SupervisionException.Reason.NOT_FOUND, noImage.reason());
    }
}
