package io.unum.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unum.api.model.ProcessInfo;
import io.unum.api.model.ProcessState;
import io.unum.api.model.ShmNodePagesInfo;
import io.unum.api.model.ShmSegmentInfo;
import io.unum.api.model.ShmState;
import io.unum.api.model.SpawnRequest;
import io.unum.client.RawResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 11: unmodified programs on different nodes share one System V or POSIX segment. Every
 * node keeps its own copy of the pages (its own backing file), so a message crosses only if the
 * coherence protocol carried it: each test reads the agents' page counters to show it did.
 */
@Timeout(300)
class SharedMemoryTest extends ClusterTest {
    private static final String REMOTE = "+USE_REMOTE_MEMORY";

    SharedMemoryTest() {
        super(3);
    }

    private ProcessInfo run(List<String> argv, String node, String caps) {
        ProcessInfo p = api.spawn(new SpawnRequest(argv, node, null, null, null, null, caps));
        started.add(p.gpid());
        return p;
    }

    private ProcessInfo ended(ProcessInfo p, Duration timeout) {
        return api.awaitProcess(p.gpid(), q -> q.state() == ProcessState.EXITED, timeout);
    }

    private static int randomKey() {
        return ThreadLocalRandom.current().nextInt(0x10000, 0x7fffffff);
    }

    private Optional<ShmSegmentInfo> segment(Integer key, String name) {
        return api.client().shmSegments().stream()
                .filter(s -> key != null ? key.equals(s.key()) : name.equals(s.name())).findFirst();
    }

    private static ShmNodePagesInfo pagesOn(ShmSegmentInfo s, String node) {
        return s.pages().stream().filter(p -> p.node().equals(node)).findFirst()
                .orElseThrow(() -> new AssertionError("segment " + s.id() + " has no copy on " + node + ": " + s.pages()));
    }

    /** The ring exchange between two nodes, then what the agents counted. */
    private void ringBetweenNodes(String kind, String keyOrName, Integer key, String name) {
        String ring = programs().cProgram("shm-ring");
        ProcessInfo writer = run(List.of(ring, kind, "writer", keyOrName, "10000", "keep"), "node-1", REMOTE);
        ProcessInfo reader = run(List.of(ring, kind, "reader", keyOrName, "10000"), "node-2", REMOTE);
        ProcessInfo r = ended(reader, Duration.ofSeconds(120));
        ProcessInfo w = ended(writer, Duration.ofSeconds(60));
        assertEquals("received 10000 in order", api.stdout(reader.gpid()).strip(), "reader's verdict: " + r);
        assertEquals(0, r.exitCode(), "reader exit");
        assertEquals(0, w.exitCode(), "writer exit: " + api.stdout(writer.gpid()));

        ShmSegmentInfo listed = segment(key, name).orElseThrow(() -> new AssertionError("the segment is not listed"));
        ShmSegmentInfo s = api.client().shmSegment(listed.id());
        assertEquals("node-1", s.homeNode(), "the creator's node keeps the directory");
        assertEquals(ShmState.ACTIVE, s.state());
        ShmNodePagesInfo onReader = pagesOn(s, "node-2");
        ShmNodePagesInfo onWriter = pagesOn(s, "node-1");
        // Pages crossed: the reader's node received bytes, the writer's node sent them, and the
        // writer lost its pages to the reader many times over (10,000 messages through 16 pages).
        assertTrue(onReader.pagesReceived() > 0, "node-2 received pages: " + onReader);
        assertTrue(onWriter.pagesSent() > 0, "node-1 sent pages: " + onWriter);
        assertTrue(onWriter.invalidations() > 0 && onReader.invalidations() > 0, "both gave pages up: " + s.pages());
        assertTrue(s.attachments().isEmpty(), "both detached when they ended: " + s.attachments());

        ShmSegmentInfo removed = api.client().removeShmSegment(s.id());
        assertEquals(s.id(), removed.id());
        Api.await(() -> segment(key, name), Optional::isEmpty, Duration.ofSeconds(10), "segment destroyed");
    }

    @Test
    void aRingBufferInASystemVSegmentCarriesEveryMessageInOrderBetweenTwoNodes() {
        int key = randomKey();
        ringBetweenNodes("sysv", Integer.toString(key), key, null);
    }

    @Test
    void aRingBufferInAPosixSegmentCarriesEveryMessageInOrderBetweenTwoNodes() {
        String name = "/unum-ring-" + randomKey();
        ringBetweenNodes("posix", name, null, name);
    }

    @Test
    void aCounterIncrementedUnderALockByThreeNodesEndsExact() {
        String counter = programs().cProgram("shm-counter");
        String key = Integer.toString(randomKey());
        int each = 100_000;
        ProcessInfo a = run(List.of(counter, "sysv", key, Integer.toString(each), "wait-total", Integer.toString(3 * each)),
                "node-1", REMOTE);
        ProcessInfo b = run(List.of(counter, "sysv", key, Integer.toString(each)), "node-2", REMOTE);
        ProcessInfo c = run(List.of(counter, "sysv", key, Integer.toString(each)), "node-3", REMOTE);
        for (ProcessInfo p : List.of(b, c, a)) {
            ProcessInfo e = ended(p, Duration.ofSeconds(240));
            assertEquals(0, e.exitCode(), "gpid " + p.gpid() + ": " + api.stdout(p.gpid()));
        }
        assertTrue(api.stdout(a.gpid()).contains("total " + 3 * each), api.stdout(a.gpid()));
        ShmSegmentInfo s = api.client().shmSegment(segment(Integer.parseInt(key), null).orElseThrow().id());
        for (String node : List.of("node-2", "node-3")) {
            assertTrue(pagesOn(s, node).pagesReceived() > 0, node + " received the lock's page: " + s.pages());
        }
        api.client().removeShmSegment(s.id());
    }

    @Test
    void aProcessWithoutTheCapabilityKeepsNodeLocalSharedMemory() {
        String ring = programs().cProgram("shm-ring");
        int key = randomKey();
        ProcessInfo writer = run(List.of(ring, "sysv", "writer", Integer.toString(key), "200"), "node-1", null);
        ProcessInfo reader = run(List.of(ring, "sysv", "reader", Integer.toString(key), "200"), "node-1", null);
        assertEquals(0, ended(reader, Duration.ofSeconds(60)).exitCode(), api.stdout(reader.gpid()));
        assertEquals(0, ended(writer, Duration.ofSeconds(60)).exitCode(), api.stdout(writer.gpid()));
        assertTrue(segment(key, null).isEmpty(), "a kernel segment is not the cluster's");
    }

    @Test
    void anAttachedProcessIsNotMovedButRefusedWithAReason() {
        String ring = programs().cProgram("shm-ring");
        int key = randomKey();
        // A writer whose reader never comes: it stays attached, waiting for room in the ring.
        ProcessInfo writer = run(List.of(ring, "sysv", "writer", Integer.toString(key), "100000"), "node-1",
                REMOTE + ",+CAN_MIGRATE,+CHECKPOINTABLE");
        ShmSegmentInfo s = Api.await(() -> segment(key, null), o -> o.isPresent() && !o.get().attachments().isEmpty(),
                Duration.ofSeconds(30), "writer attached").orElseThrow();
        RawResponse move = api.post("/api/v1/processes/" + writer.gpid() + "/migrate", Map.of("node", "node-2"));
        assertEquals(409, move.status(), move.body());
        assertTrue(move.body().contains("shared memory") && move.body().contains("segment " + s.id()), move.body());
        RawResponse checkpoint = api.post("/api/v1/processes/" + writer.gpid() + "/checkpoints", Map.of());
        assertEquals(409, checkpoint.status(), checkpoint.body());
        api.signal(writer.gpid(), "KILL");
        ended(writer, Duration.ofSeconds(30));
        Api.await(() -> api.client().shmSegment(s.id()), x -> x.attachments().isEmpty(), Duration.ofSeconds(15),
                "the killed writer detached");
        api.client().removeShmSegment(s.id());
    }

    @Test
    void badRequestsAreRefusedClearly() {
        RawResponse missing = api.get("/api/v1/shm/987654");
        assertEquals(404, missing.status(), missing.body());
        assertTrue(missing.contentType().startsWith("application/problem+json"), missing.contentType());
        RawResponse notANumber = api.get("/api/v1/shm/abc");
        assertEquals(404, notANumber.status(), notANumber.body());

        String tooBig = String.join("\n",
                "import ctypes, os",
                "libc = ctypes.CDLL(None, use_errno=True)",
                "libc.shmget.restype = ctypes.c_int",
                "r = libc.shmget(ctypes.c_int(" + randomKey() + "), ctypes.c_size_t(8 << 30), ctypes.c_int(0o1600))",
                "print('shmget', r, os.strerror(ctypes.get_errno()) if r < 0 else '')");
        int before = api.client().shmSegments().size();
        ProcessInfo big = run(List.of("python3", "-c", tooBig), "node-1", REMOTE);
        ended(big, Duration.ofSeconds(30));
        assertEquals("shmget -1 Invalid argument", api.stdout(big.gpid()).strip(), "a segment over the limit");
        assertEquals(before, api.client().shmSegments().size(), "nothing was written");

        int key = randomKey();
        ProcessInfo holder = run(List.of(programs().cProgram("shm-ring"), "sysv", "writer", Integer.toString(key), "100000"),
                "node-1", REMOTE);
        ShmSegmentInfo s = Api.await(() -> segment(key, null), Optional::isPresent, Duration.ofSeconds(30), "segment").get();
        RawResponse asViewer = api.as(cluster.viewerToken()).client().raw("DELETE", "/api/v1/shm/" + s.id(), null);
        assertEquals(403, asViewer.status(), asViewer.body());
        assertTrue(segment(key, null).isPresent(), "a viewer removed nothing");
        api.signal(holder.gpid(), "KILL");
        api.client().removeShmSegment(s.id());
    }
}
