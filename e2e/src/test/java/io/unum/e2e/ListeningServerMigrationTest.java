package io.unum.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unum.api.model.MigrationInfo;
import io.unum.api.model.MigrationState;
import io.unum.api.model.ProcessInfo;
import io.unum.api.model.ProcessState;
import io.unum.api.model.SpawnRequest;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A listening TCP server migrates while clients keep connecting: clients see a delay, never an
 * error. The moving server's listening ports are behind an nftables gate that drops new SYNs
 * (their clients' kernels send them again), the program accepts what queued before CRIU freezes
 * it, and the gate opens once it runs on the target. The server answers each connection with a
 * counter, so a lost or doubled connection, or a server restarted from scratch, shows.
 */
@Timeout(600)
class ListeningServerMigrationTest extends ClusterTest {

    /**
     * Longer than a freeze on a busy machine: a SYN dropped during the move is sent again 1, 3, 7,
     * 15, 31 s after the first, so a move of up to half a minute is a wait, not an error.
     */
    private static final int CLIENT_TIMEOUT_MILLIS = 45_000;

    ListeningServerMigrationTest() {
        super(3);
    }

    /** Answers each connection with one line, the number of connections accepted so far, after acceptDelay seconds. */
    private static List<String> counterServer(int port, double acceptDelay) {
        return List.of("python3", "-u", "-c", String.join("\n",
                "import socket, sys, time",
                "s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)",
                "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)",
                "s.bind(('127.0.0.1', int(sys.argv[1])))",
                "s.listen(64)",
                "print('listening', flush=True)",
                "n = 0",
                "while True:",
                "    time.sleep(float(sys.argv[2]))",
                "    c, _ = s.accept()",
                "    n += 1",
                "    c.sendall(b'%d\\n' % n)",
                "    c.close()"), Integer.toString(port), Double.toString(acceptDelay));
    }

    private ProcessInfo spawn(List<String> argv) {
        ProcessInfo p = api.spawn(new SpawnRequest(argv, "node-1", null, programs().dir.toString(), null, null, "+CAN_MIGRATE"));
        started.add(p.gpid());
        Api.await(() -> api.stdout(p.gpid()), out -> out.contains("listening"), Duration.ofSeconds(30), "the server listens");
        return p;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** One connection: the line the server answered, or what went wrong, as an exception. */
    private static String connectOnce(int port) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), CLIENT_TIMEOUT_MILLIS);
            s.setSoTimeout(CLIENT_TIMEOUT_MILLIS);
            String line = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII)).readLine();
            if (line == null) {
                throw new IOException("closed without an answer");
            }
            return line.strip();
        }
    }

    /** A client connecting in a tight loop, a new connection each time, recording answers and errors. */
    private static final class Client implements AutoCloseable {
        final List<Integer> answers = new CopyOnWriteArrayList<>();
        final List<String> errors = new CopyOnWriteArrayList<>();
        private final Thread thread;
        private volatile boolean stop;

        Client(int port) {
            thread = new Thread(() -> {
                while (!stop) {
                    try {
                        answers.add(Integer.parseInt(connectOnce(port)));
                    } catch (IOException | RuntimeException e) {
                        errors.add(e.toString());
                    }
                }
            }, "client-" + port);
            thread.setDaemon(true);
            thread.start();
        }

        void awaitMoreAnswers(int more) {
            int before = answers.size();
            Api.await(answers::size, n -> n >= before + more, Duration.ofSeconds(60), "answers to the client");
        }

        @Override
        public void close() throws InterruptedException {
            stop = true;
            thread.join(CLIENT_TIMEOUT_MILLIS * 2L + 10_000);
        }
    }

    @Test
    void aServerMovesStopAndCopyAndPostCopyWhileAClientConnectsWithoutAnError() throws Exception {
        int port = freePort();
        ProcessInfo p = spawn(counterServer(port, 0));
        String[][] rounds = {{"node-2", "STOP_AND_COPY"}, {"node-3", "POST_COPY"}, {"node-1", "STOP_AND_COPY"},
            {"node-2", "POST_COPY"}};
        List<MigrationInfo> moves = new ArrayList<>();
        try (Client client = new Client(port)) {
            client.awaitMoreAnswers(20);
            for (String[] round : rounds) {
                MigrationInfo m = api.migrate(p.gpid(), round[0], round[1]);
                moves.add(m);
                assertEquals(MigrationState.DONE, m.state(), m.toString());
                ProcessInfo after = api.process(p.gpid());
                assertEquals(ProcessState.RUNNING, after.state(), after.toString());
                assertEquals(round[0], after.node());
                assertNoGateLeft();
                client.awaitMoreAnswers(20);
                assertEquals(List.of(), client.errors, "no connection failed during " + m);
            }
            client.close();
            assertEquals(List.of(), client.errors, "clients wait, never fail");
            List<Integer> answers = client.answers;
            for (int i = 0; i < answers.size(); i++) {
                assertEquals(i + 1, answers.get(i), "connection " + i + ": the counter went on across every move "
                        + "(nothing lost, nothing doubled, no restart from scratch)");
            }
            System.out.println("listening server: " + answers.size() + " connections answered, 0 errors, across "
                    + moves.stream().map(m -> m.mode() + " frozen " + m.freezeMillis() + " ms").toList());
        }
        assertNoGateLeft();
    }

    /**
     * Connections wait in the accept queue when the dump begins, and the program takes longer to
     * accept them than the agent waits: the migration still succeeds (CRIU leaves them out) and the
     * server serves on, its counter kept. What became of the queued clients is printed.
     */
    @Test
    void aServerWithConnectionsWaitingInItsAcceptQueueMigrates() throws Exception {
        int port = freePort();
        // Accepts one connection every 4 s: three queued ones take longer than the agent's drain.
        ProcessInfo p = spawn(counterServer(port, 4));
        assertEquals("1", connectOnce(port));
        List<String> queued = new CopyOnWriteArrayList<>();
        List<Thread> waiting = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Thread t = new Thread(() -> {
                try {
                    queued.add("answered " + connectOnce(port));
                } catch (IOException e) {
                    queued.add("failed: " + e);
                }
            });
            t.setDaemon(true);
            t.start();
            waiting.add(t);
        }
        // All four connected (the kernel completes a handshake without the program): they sit in the queue.
        Api.await(() -> acceptQueue(port), n -> n >= 3, Duration.ofSeconds(30), "connections in the accept queue");

        MigrationInfo m = api.migrate(p.gpid(), "node-2", "STOP_AND_COPY");
        assertEquals(MigrationState.DONE, m.state(), m.toString());
        ProcessInfo after = api.process(p.gpid());
        assertEquals(ProcessState.RUNNING, after.state(), after.toString());
        assertEquals("node-2", after.node());
        assertNoGateLeft();
        for (Thread t : waiting) {
            t.join(CLIENT_TIMEOUT_MILLIS + 10_000L);
        }
        System.out.println("the connections queued at the dump: " + queued);
        // The server goes on from its counter after the move.
        int next = Integer.parseInt(connectOnce(port));
        assertTrue(next > 1, "the counter was kept: " + next);
        assertTrue(queued.stream().filter(q -> q.startsWith("answered")).map(q -> Integer.parseInt(q.substring(9)))
                .allMatch(n -> n < next), "the counter was kept: " + queued + ", then " + next);
    }

    /** The accept queue of the listener on port, from /proc/net/tcp (rx_queue of the LISTEN row). */
    private static int acceptQueue(int port) {
        try {
            String hexPort = String.format(":%04X", port);
            for (String line : Files.readAllLines(Path.of("/proc/net/tcp"))) {
                String[] f = line.trim().split("\\s+");
                if (f.length > 4 && f[1].endsWith(hexPort) && f[3].equals("0A")) {
                    return Integer.parseInt(f[4].substring(f[4].indexOf(':') + 1), 16);
                }
            }
            return 0;
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** No nftables table of Unum's is left on the host once a migration ended. */
    private static void assertNoGateLeft() {
        Api.await(ListeningServerMigrationTest::unumTables, List::isEmpty, Duration.ofSeconds(30), "Unum's nftables tables");
    }

    private static List<String> unumTables() {
        String nft = Files.isExecutable(Path.of("/usr/sbin/nft")) ? "/usr/sbin/nft" : "nft";
        try {
            Process p = new ProcessBuilder(nft, "list", "tables").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), "nft list tables: " + out);
            return out.lines().filter(l -> l.contains("unum")).toList();
        } catch (IOException e) {
            throw new AssertionError("nft (nftables) is needed; scripts/install-deps.sh installs it: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
