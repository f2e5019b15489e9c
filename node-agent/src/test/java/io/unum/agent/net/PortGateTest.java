package io.unum.agent.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The gate against the real nftables of this host (root and nft needed), and the listeners /proc shows. */
class PortGateTest {

    private static final String IMAGE = "gate-test-" + ProcessHandle.current().pid();

    @TempDir
    Path state;
    private Optional<Path> nft;
    private Process server;

    @BeforeEach
    void needRootAndNft() {
        nft = PortGate.locateNft();
        assumeTrue("root".equals(System.getProperty("user.name")) && nft.isPresent(), "nftables as root");
    }

    @AfterEach
    void cleanUp() throws Exception {
        if (nft.isPresent()) {
            new PortGate(nft, state, "t").open(IMAGE);
        }
        if (server != null) {
            server.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aShutGateMakesConnectsWaitAndALeftoverIsOpenedByTheNextAgent() throws Exception {
        try (ServerSocket listener = new ServerSocket(0)) {
            int port = listener.getLocalPort();
            PortGate gate = new PortGate(nft, state, "t");
            assertTrue(gate.shut(IMAGE, new TreeSet<>(Set.of(port))));
            assertTrue(tables().contains("table inet unum." + IMAGE), tables());
            assertEquals(Set.of(IMAGE), gate.shutHere());
            // Dropped, not refused: the connect waits for its timeout.
            assertThrows(SocketTimeoutException.class, () -> connect(port, 1500));

            // A gate whose image is still here stays shut; one no image needs is opened.
            PortGate next = new PortGate(nft, state, "t");
            next.openLeftovers(id -> true);
            assertTrue(tables().contains("unum." + IMAGE));
            next.openLeftovers(id -> false);
            assertFalse(tables().contains("unum."), tables());
            assertEquals(Set.of(), next.shutHere());
            connect(port, 5000);
        }
    }

    @Test
    void onlyTheAgentThatShutAGateOpensItWhenItsImageIsDeleted() throws Exception {
        PortGate source = new PortGate(nft, state.resolve("source"), "source");
        PortGate target = new PortGate(nft, state.resolve("target"), "target");
        assertTrue(source.shut(IMAGE, new TreeSet<>(Set.of(1))));
        target.openIfOurs(IMAGE);
        assertTrue(tables().contains("unum." + IMAGE), "the target's copy is deleted before the source resumed");
        target.open(IMAGE); // the process runs on the target: any agent opens it
        assertFalse(tables().contains("unum."), tables());
        source.openIfOurs(IMAGE); // already open: nothing to do, and the record goes
        assertEquals(Set.of(), source.shutHere());
    }

    @Test
    void listenersAndTheConnectionsQueuedOnThemAreFoundInTheTree() throws Exception {
        try (ServerSocket probe = new ServerSocket(0)) {
            int port = probe.getLocalPort();
            probe.close();
            server = new ProcessBuilder("python3", "-c", String.join("\n",
                    "import socket, sys, time",
                    "s = socket.socket()",
                    "s.bind(('127.0.0.1', int(sys.argv[1])))",
                    "s.listen(8)",
                    "print('up', flush=True)",
                    "time.sleep(60)"), Integer.toString(port)).start();
            assertEquals('u', server.getInputStream().read());
            int pid = (int) server.pid();
            assertEquals(new ListeningSockets.Snapshot(new TreeSet<>(Set.of(port)), 0), ListeningSockets.of(pid));
            try (Socket a = connect(port, 5000); Socket b = connect(port, 5000)) {
                assertEquals(2, ListeningSockets.of(pid).inFlight(), "two connections wait to be accepted");
            }
        }
    }

    /**
     * CRIU's network lock of a dump that stopped its tree (a table named after CRIU's run id, which
     * the image's inventory holds) is removed once the image is not needed: by the agent that
     * dumped it, not by one holding a copy, and at start for an image an earlier agent deleted.
     */
    @Test
    void criusNetworkLockOfADumpHereIsRemovedWithItsImage() throws Exception {
        String runId = java.util.UUID.randomUUID().toString();
        String table = "CRIU-" + runId.substring(0, 21); // CRIU cuts the run id to fit its name buffer
        Path criuDir = state.resolve("images").resolve(IMAGE).resolve("criu");
        java.nio.file.Files.createDirectories(criuDir);
        // The inventory is a protobuf: the run id is its only string of that shape.
        java.nio.file.Files.write(criuDir.resolve("inventory.img"),
                ("\001\002junk$" + runId + "\000").getBytes(StandardCharsets.ISO_8859_1));
        nft("add", "table", "inet", table);
        try {
            PortGate dumper = new PortGate(nft, state.resolve("dumper"), "source");
            PortGate holder = new PortGate(nft, state.resolve("holder"), "target");
            dumper.keepCriuLock(IMAGE, criuDir);
            holder.releaseCriuLock(IMAGE);
            assertTrue(tables().contains("table inet " + table), "a copy's holder leaves it: " + tables());

            new PortGate(nft, state.resolve("dumper"), "source").releaseLeftoverCriuLocks(id -> true);
            assertTrue(tables().contains("table inet " + table), "its image is still needed");
            new PortGate(nft, state.resolve("dumper"), "source").releaseLeftoverCriuLocks(id -> false);
            assertFalse(tables().contains("table inet " + table), tables());

            nft("add", "table", "inet", table);
            dumper.keepCriuLock(IMAGE, criuDir);
            dumper.releaseCriuLock(IMAGE);
            assertFalse(tables().contains("table inet " + table), tables());
            dumper.releaseCriuLock(IMAGE); // idempotent
        } finally {
            new ProcessBuilder(nft.get().toString(), "delete", "table", "inet", table).start().waitFor();
        }
    }

    private void nft(String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(nft.get().toString()));
        cmd.addAll(List.of(args));
        assertEquals(0, new ProcessBuilder(cmd).inheritIO().start().waitFor(), String.join(" ", cmd));
    }

    private static Socket connect(int port, int timeoutMillis) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port), timeoutMillis);
        return s;
    }

    private String tables() throws Exception {
        Process p = new ProcessBuilder(List.of(nft.orElseThrow().toString(), "list", "tables")).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(10, TimeUnit.SECONDS));
        return out;
    }
}
