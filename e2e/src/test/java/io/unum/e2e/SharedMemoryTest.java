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
        return run(argv, node, caps, null);
    }

    /** With a parent: a child runs as its parent's uid, so a segment of mode 0600 lets it in. */
    private ProcessInfo run(List<String> argv, String node, String caps, Integer parent) {
        ProcessInfo p = api.spawn(new SpawnRequest(argv, node, parent, null, null, null, caps));
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

    /** Python's own multiprocessing.shared_memory, unmodified: a creator and an attacher by name. */
    private static List<String> pythonShm(String role, String name) {
        String common = String.join("\n",
                "import hashlib, sys, time",
                "from multiprocessing import shared_memory",
                "name, size = sys.argv[1], 1 << 20",
                "data = bytes((i * 131 + 7) & 0xff for i in range(size - 64))");
        String creator = String.join("\n",
                "shm = shared_memory.SharedMemory(name=name, create=True, size=size)",
                "shm.buf[64:] = data",
                "shm.buf[0] = 1",
                "deadline = time.time() + 120",
                "while shm.buf[1] != 1 and time.time() < deadline: time.sleep(0.005)",
                "print('creator', hashlib.sha256(bytes(shm.buf[64:])).hexdigest(), bytes(shm.buf[2:10]).decode(), flush=True)",
                "time.sleep(600)");
        String attacher = String.join("\n",
                "deadline = time.time() + 60",
                "while True:",
                "    try:",
                "        shm = shared_memory.SharedMemory(name=name)",
                "        break",
                "    except (FileNotFoundError, ValueError):",
                "        if time.time() > deadline: raise",
                "        time.sleep(0.01)",
                "while shm.buf[0] != 1: time.sleep(0.005)",
                "digest = hashlib.sha256(bytes(shm.buf[64:])).hexdigest()",
                "shm.buf[2:10] = b'attached'",
                "shm.buf[1] = 1",
                "print('attacher', digest, flush=True)",
                "shm.close()");
        return List.of("python3", "-c", common + "\n" + (role.equals("creator") ? creator : attacher), name);
    }

    @Test
    void pythonsSharedMemoryModuleWorksSplitAcrossTwoNodesAsOnOne() {
        String name = "unum-py-" + randomKey();
        // On one node, with the kernel's shared memory: the reference run.
        ProcessInfo localCreator = run(pythonShm("creator", name + "-local"), "node-1", null);
        ProcessInfo localAttacher = run(pythonShm("attacher", name + "-local"), "node-1", null, localCreator.gpid());
        assertEquals(0, ended(localAttacher, Duration.ofSeconds(60)).exitCode(), api.stderr(localAttacher.gpid()));
        String reference = Api.await(() -> api.stdout(localCreator.gpid()), out -> out.contains("creator"),
                Duration.ofSeconds(30), "the local creator's line").strip();

        ProcessInfo creator = run(pythonShm("creator", name), "node-1", REMOTE);
        // Python makes its segments 0600: a process of another tree is refused, as by the kernel...
        ProcessInfo stranger = run(pythonShm("attacher", name), "node-2", REMOTE);
        assertEquals(1, ended(stranger, Duration.ofSeconds(120)).exitCode(), api.stdout(stranger.gpid()));
        assertTrue(api.stderr(stranger.gpid()).contains("PermissionError"), api.stderr(stranger.gpid()));
        // ...and the creator's child, which runs as its uid, is let in.
        ProcessInfo attacher = run(pythonShm("attacher", name), "node-2", REMOTE, creator.gpid());
        assertEquals(0, ended(attacher, Duration.ofSeconds(120)).exitCode(), api.stderr(attacher.gpid()));
        String split = Api.await(() -> api.stdout(creator.gpid()), out -> out.contains("creator"),
                Duration.ofSeconds(30), "the creator's line").strip();
        assertEquals(reference, split, "the creator's view equals the one-node run");
        assertEquals(api.stdout(localAttacher.gpid()).strip(), api.stdout(attacher.gpid()).strip(),
                "the attacher read what a one-node attacher reads");

        ShmSegmentInfo listed = segment(null, "/" + name).orElseThrow(() -> new AssertionError("not listed"));
        ShmSegmentInfo s = api.client().shmSegment(listed.id());
        assertTrue(pagesOn(s, "node-2").pagesReceived() >= 256, "the 1 MiB crossed to node-2: " + s.pages());
        api.signal(creator.gpid(), "KILL");
        api.signal(localCreator.gpid(), "KILL");
        // Nobody unlinked it (a killed creator cannot; the attacher's resource tracker dies with its
        // tree): like a file in /dev/shm it stays until removed.
        Api.await(() -> api.client().shmSegment(s.id()), x -> x.attachments().isEmpty(), Duration.ofSeconds(15),
                "the killed creator detached");
        api.client().removeShmSegment(s.id());
        Api.await(() -> segment(null, "/" + name), Optional::isEmpty, Duration.ofSeconds(15), "destroyed when removed");
    }

    @Test
    void pagesLostWithAnAgentDegradeTheSegmentAndTheirReaderGetsAClearError() {
        String touch = programs().cProgram("shm-touch");
        String key = Integer.toString(randomKey());
        ProcessInfo creator = run(List.of(touch, key, "4", "write", "0"), "node-1", REMOTE);
        assertEquals(0, ended(creator, Duration.ofSeconds(30)).exitCode(), api.stderr(creator.gpid()));
        // node-2 writes every page and holds the only up-to-date copies.
        ProcessInfo writer = run(List.of(touch, key, "4", "write", "7", "hold"), "node-2", REMOTE);
        Api.await(() -> api.stdout(writer.gpid()), out -> out.contains("wrote 4 pages"), Duration.ofSeconds(30), "writer");
        var agent = cluster.agent("node-2");
        agent.kill();
        try {
            ProcessInfo reader = run(List.of(touch, key, "4", "read"), "node-3", REMOTE);
            ProcessInfo r = ended(reader, Duration.ofSeconds(60));
            assertEquals(7, r.exitSignal(), "the reader ended with SIGBUS, not with stale data: " + r);
            String why = api.stderr(reader.gpid());
            assertTrue(why.contains("unum-shm") && why.contains("lost"), why);
            ShmSegmentInfo s = Api.await(() -> api.client().shmSegment(segment(Integer.parseInt(key), null).orElseThrow().id()),
                    x -> x.state() == ShmState.DEGRADED, Duration.ofSeconds(15), "segment degraded");
            assertTrue(s.lostPages() >= 1 && s.lostReason().contains("node-2"), s.toString());
            assertTrue(s.attachments().stream().anyMatch(a -> a.node().equals("node-2")), "the writer is still listed: " + s);
            agent.restart();
            // The restarted agent has the attachments of its earlier start dropped: that writer lost it.
            Api.await(() -> api.client().shmSegment(s.id()), x -> x.attachments().stream().noneMatch(a -> a.node().equals("node-2")),
                    Duration.ofSeconds(30), "node-2's dead attachment dropped");
            api.client().removeShmSegment(s.id());
        } finally {
            if (!agent.isAlive()) {
                agent.restart();
            }
            // The next test places processes on node-2: it must be READY again (its agent mounts
            // the file system before it registers).
            cluster.awaitNodeState("node-2", "READY", Duration.ofSeconds(60));
        }
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

    /** A writer and a reader mid-exchange; the writer is moved while the reader goes on reading. */
    private void movedMidExchange(String how) {
        String ring = programs().cProgram("shm-ring");
        int key = randomKey();
        int count = 30_000;
        ProcessInfo writer = run(List.of(ring, "sysv", "writer", Integer.toString(key), Integer.toString(count), "keep"),
                "node-1", REMOTE + ",+CAN_MIGRATE,+CHECKPOINTABLE");
        ProcessInfo reader = run(List.of(ring, "sysv", "reader", Integer.toString(key), Integer.toString(count)), "node-2", REMOTE);
        ShmSegmentInfo s = Api.await(() -> segment(key, null), Optional::isPresent, Duration.ofSeconds(30), "segment").get();
        Api.await(() -> api.client().shmSegment(s.id()), x -> x.pages() != null && x.pages().stream()
                .anyMatch(p -> p.node().equals("node-2") && p.pagesReceived() > 40), Duration.ofSeconds(60), "exchange under way");
        int gpid = writer.gpid();
        if (how.equals("checkpoint")) {
            io.unum.api.model.CheckpointInfo c = api.client().checkpoint(gpid, true);
            api.awaitState(gpid, ProcessState.EXITED);
            api.client().restart(c.id(), "node-3");
        } else {
            io.unum.api.model.MigrationInfo m = api.migrate(gpid, "node-3", how);
            assertEquals("DONE", m.state().name(), "migration: " + m);
        }
        Api.await(() -> api.process(gpid), p -> "node-3".equals(p.node()), Duration.ofSeconds(30), "writer on node-3");
        ProcessInfo r = ended(reader, Duration.ofSeconds(180));
        ProcessInfo w = ended(writer, Duration.ofSeconds(60));
        assertEquals("received " + count + " in order", api.stdout(reader.gpid()).strip(), "reader: " + r);
        assertEquals(0, w.exitCode(), "writer: " + w + " " + api.stderr(gpid));
        assertTrue(api.stdout(gpid).contains("sent " + count), api.stdout(gpid));
        ShmSegmentInfo after = api.client().shmSegment(s.id());
        assertTrue(pagesOn(after, "node-3").pagesReceived() > 0, "the moved writer used node-3's copy: " + after.pages());
        api.client().removeShmSegment(s.id());
    }

    @Test
    void anAttachedWriterMigratedStopAndCopyMidExchangeLosesAndRepeatsNothing() {
        movedMidExchange("STOP_AND_COPY");
    }

    @Test
    void anAttachedWriterMigratedPostCopyMidExchangeLosesAndRepeatsNothing() {
        movedMidExchange("POST_COPY");
    }

    @Test
    void anAttachedWriterCheckpointedAndRestartedElsewhereLosesAndRepeatsNothing() {
        movedMidExchange("checkpoint");
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
