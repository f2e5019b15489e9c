package io.unum.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.unum.api.model.ProcessInfo;
import io.unum.api.model.ProcessState;
import io.unum.api.model.ShmSegmentInfo;
import io.unum.api.model.SpawnRequest;
import io.unum.testing.AgentProcess;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Cluster-wide shared memory under agent deaths at random moments: a ring exchange between two
 * nodes (the segment homed on a third) while a seeded choice of agent (home, writer's, reader's)
 * is SIGKILLed at a random instant. Whatever is hit, no message may be read wrong or out of
 * order: each side either finishes, or ends with SIGBUS and the library's reason (or, when its
 * peer died, stops waiting) — and none hangs. -Dunum.shm.seed replays a run; the seed is printed.
 */
@Timeout(600)
class SharedMemoryFaultTest extends ClusterTest {
    private static final int ROUNDS = Integer.getInteger("unum.shm.rounds", 4);
    private static final int MESSAGES = 20_000;

    SharedMemoryFaultTest() {
        super(3);
    }

    @Test
    void noMessageIsEverReadWrongWhateverAgentDiesWhenever() throws Exception {
        long seed = Long.getLong("unum.shm.seed", new Random().nextLong());
        System.out.println("SharedMemoryFaultTest seed " + seed + " (replay with -Dunum.shm.seed=" + seed + ")");
        Random random = new Random(seed);
        String ring = programs().cProgram("shm-ring");
        String touch = programs().cProgram("shm-touch");
        for (int round = 0; round < ROUNDS; round++) {
            String where = "seed " + seed + ", round " + round;
            int key = 0x20000 + random.nextInt(0x7ffff);
            // node-3 creates the segment (and so is its home) and leaves; node-1 writes, node-2 reads.
            ProcessInfo creator = spawn(List.of(touch, Integer.toString(key), "18", "write", "0"), "node-3");
            api.awaitProcess(creator.gpid(), p -> p.state() == ProcessState.EXITED, Duration.ofSeconds(30));
            ProcessInfo writer = spawn(List.of(ring, "sysv", "writer", Integer.toString(key), Integer.toString(MESSAGES)), "node-1");
            ProcessInfo reader = spawn(List.of(ring, "sysv", "reader", Integer.toString(key), Integer.toString(MESSAGES)), "node-2");
            String victim = List.of("node-3", "node-1", "node-2").get(random.nextInt(3));
            long delayMs = random.nextInt(4000);
            Thread.sleep(delayMs); // the fault's random moment, not a wait for a condition
            AgentProcess agent = cluster.agent(victim);
            agent.kill();
            long downMs = random.nextInt(2000);
            System.out.println(where + ": killed " + victim + "'s agent " + delayMs + " ms in, restarted " + downMs + " ms later");
            Thread.sleep(downMs); // down for a random while, as an agent that crashes and is restarted
            agent.restart();
            Api.await(() -> api.nodes().stream().filter(n -> n.name().equals(victim)).findFirst().orElseThrow().state().name(),
                    "READY"::equals, Duration.ofSeconds(60), victim + " ready again");
            ProcessInfo r = awaitEndOrKillWhenAlone(reader, writer, where);
            ProcessInfo w = awaitEndOrKillWhenAlone(writer, reader, where);
            judge(r, api.stdout(reader.gpid()), api.stderr(reader.gpid()), where + ", reader");
            judge(w, api.stdout(writer.gpid()), api.stderr(writer.gpid()), where + ", writer");
            System.out.println(where + ": reader " + describe(r) + ", writer " + describe(w));
            api.client().shmSegments().stream().filter(s -> Integer.valueOf(key).equals(s.key())).map(ShmSegmentInfo::id)
                    .forEach(id -> api.client().removeShmSegment(id));
        }
    }

    private static String describe(ProcessInfo p) {
        return p.exitCode() != null ? "exit " + p.exitCode() : p.exitSignal() != null ? "signal " + p.exitSignal() : p.state().name();
    }

    private ProcessInfo spawn(List<String> argv, String node) {
        ProcessInfo p = api.spawn(new SpawnRequest(argv, node, null, null, null, null, "+USE_REMOTE_MEMORY"));
        started.add(p.gpid());
        return p;
    }

    /**
     * Waits for p to end. A side whose peer ended badly would wait minutes for it: it is killed
     * then (that is the peer's fault, not a hang). A side still running after 150 s hangs.
     */
    private ProcessInfo awaitEndOrKillWhenAlone(ProcessInfo p, ProcessInfo peer, String where) {
        Instant deadline = Instant.now().plusSeconds(150);
        while (Instant.now().isBefore(deadline)) {
            ProcessInfo now = api.process(p.gpid());
            if (now.state() != ProcessState.RUNNING && now.state() != ProcessState.PENDING) {
                return now;
            }
            ProcessInfo other = api.process(peer.gpid());
            boolean peerFailed = other.state() != ProcessState.RUNNING && other.state() != ProcessState.PENDING
                    && (other.exitCode() == null || other.exitCode() != 0);
            if (peerFailed) {
                api.signal(p.gpid(), "KILL");
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted");
            }
        }
        fail(where + ": gpid " + p.gpid() + " still runs after 150 s: it hangs");
        return null;
    }

    /** Fine: finished; ended by SIGBUS with the library's reason; or killed/stopped because its peer failed. */
    private static void judge(ProcessInfo p, String out, String err, String where) {
        if (out.contains("ERROR message")) {
            fail(where + " read a message wrong: " + out);
        }
        if (p.exitCode() != null && p.exitCode() == 0) {
            return;
        }
        if (p.exitSignal() != null && p.exitSignal() == 7) {
            assertTrue(err.contains("unum-shm:"), where + " ended by SIGBUS without saying why: " + err);
            return;
        }
        boolean killedForPeer = p.exitSignal() != null && p.exitSignal() == 9;
        boolean gaveUpWaiting = out.contains("ERROR nothing after") || out.contains("ERROR the reader consumed only");
        boolean lostAgentBeforeStart = err.contains("Input/output error");
        assertTrue(killedForPeer || gaveUpWaiting || lostAgentBeforeStart || p.state() == ProcessState.EXITED
                && p.reason() != null && p.reason().contains("agent"), where + " ended unexplained: " + p + " out=" + out + " err=" + err);
    }
}
