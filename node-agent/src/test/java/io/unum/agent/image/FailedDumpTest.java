package io.unum.agent.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.unum.agent.net.PortGate;
import io.unum.agent.output.OutputStream;
import io.unum.agent.process.ProcessSupervisor;
import io.unum.agent.process.StartSpec;
import io.unum.agent.process.SupervisionException;
import io.unum.agent.support.Await;
import io.unum.agent.support.Supervised;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A dump whose CRIU is killed after it locked the tree's connections and before it wrote the
 * image: real CRIU, real nftables, a real TCP connection from the tree to a server here.
 */
@Timeout(120)
class FailedDumpTest {

    private static final int GPID = 41;
    private static final String IMAGE = "killed-" + ProcessHandle.current().pid();

    @TempDir
    Path node;
    ProcessSupervisor supervisor;
    ProcessImages images;
    Optional<Path> nft;
    ServerSocket echo;
    String criuTable;

    @BeforeEach
    void open() throws IOException {
        assumeTrue("root".equals(System.getProperty("user.name")), "CRIU and nftables need root");
        nft = PortGate.locateNft();
        assumeTrue(nft.isPresent(), "nft");
        Optional<Criu> criu = ProcessImagesTest.criu();
        assertTrue(criu.isPresent(), "CRIU is required: run scripts/install-criu.sh");
        supervisor = ProcessSupervisor.open(node, 1 << 20);
        images = new ProcessImages(supervisor.handoff(), new ImageStore(node), criu, "a", new PortGate(nft, node, "a"));
        echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    }

    /** The tree's end of the connection, seen from here: each line sent comes back. */
    private Socket peer;
    private BufferedReader fromPeer;

    private void roundTrip(String line, Duration within) throws IOException {
        peer.setSoTimeout((int) within.toMillis());
        peer.getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
        assertEquals(line, fromPeer.readLine(), "the tree echoes " + line);
    }

    @AfterEach
    void cleanUp() throws Exception {
        if (supervisor != null) {
            Supervised.killAll(supervisor);
            supervisor.close();
        }
        if (peer != null) {
            peer.close();
        }
        if (echo != null) {
            echo.close();
        }
        if (criuTable != null) { // whatever happened, the host keeps no table of ours
            new ProcessBuilder(nft.get().toString(), "delete", "table", "inet", criuTable).start().waitFor(10, TimeUnit.SECONDS);
        }
    }

    /**
     * The tree echoes what this test sends it through a TCP connection; a child of it holds 256
     * MiB, so that CRIU, which reaches the socket before the child's memory, is still writing pages
     * when it has locked the connection and put the socket in repair mode. CRIU is stopped there,
     * seen without an inventory, and killed: the dump fails, the tree runs on, and the agent turns
     * the socket's repair mode off and removes CRIU's table, so the echoes go on. (The tree waits in
     * select: a program blocked in recv or send on the socket when CRIU dies gets EPERM or EINVAL
     * before the agent can act, which is not closed.)
     */
    @Test
    void aDumpWhoseCriuIsKilledBeforeItsInventoryLeavesNoNetworkLockAndTheConnectionWorksAgain() throws Exception {
        supervisor.start(new StartSpec(GPID, List.of("python3", "-c", String.join("\n",
                "import os, select, socket, sys, time",
                "c = socket.create_connection(('127.0.0.1', int(sys.argv[1])))",
                "if os.fork() == 0:",
                "    c.close()",
                "    big = bytearray(b'\\x01') * (256 << 20)",
                "    print('big', flush=True)",
                "    while True: time.sleep(1)",
                // Waits in select, as an event loop does: a recv CRIU interrupted would restart
                // into repair mode the moment CRIU dies, before the agent can repair anything.
                "while True:",
                "    select.select([c], [], [])",
                "    data = c.recv(4096)",
                "    if not data: break",
                "    c.sendall(data)",
                "    print('echo', data.decode().strip(), flush=True)"), Integer.toString(echo.getLocalPort())),
                "/", "nobody", Map.of("PATH", "/usr/bin:/bin")));
        echo.setSoTimeout(20_000);
        peer = echo.accept();
        fromPeer = new BufferedReader(new InputStreamReader(peer.getInputStream(), StandardCharsets.UTF_8));
        Await.until("the child's memory", Duration.ofSeconds(20), () -> output().contains("big"));
        roundTrip("before", Duration.ofSeconds(10));

        CompletableFuture<ProcessImages.Dumped> dump = CompletableFuture.supplyAsync(() -> {
            try {
                return images.dump(GPID, IMAGE, false, true);
            } catch (SupervisionException e) {
                throw new RuntimeException(e);
            }
        });
        Path partial = node.resolve("images").resolve(IMAGE + ".partial");
        Path log = partial.resolve("dump.log");
        Await.until("criu's run id in its log", () -> PortGate.loggedRunId(log).isPresent());
        criuTable = "CRIU-" + PortGate.loggedRunId(log).get().substring(0, 21);
        String port = Integer.toString(echo.getLocalPort());
        // CRIU logs "Done" once it saved the socket's state, which it reads in repair mode.
        Await.until("criu to put the connection in repair mode", Duration.ofSeconds(20),
                () -> readLog(log).matches("(?s).*Dumping TCP connection.*tcp: Done\n.*"));
        assertTrue(listTable(criuTable).contains(". " + port + " ."), "criu locked the connection: " + listTable(criuTable));
        long criuPid = criuDumping(partial.resolve("criu")).orElseThrow();
        signal("STOP", criuPid);
        assertFalse(Files.exists(partial.resolve("criu").resolve("inventory.img")),
                "criu was stopped only after it wrote the inventory: the child's memory dumped too fast");
        signal("KILL", criuPid);

        ExecutionException failed = assertThrows(ExecutionException.class, () -> dump.get(60, TimeUnit.SECONDS));
        assertInstanceOf(SupervisionException.class, failed.getCause().getCause());
        assertTrue(failed.getCause().getMessage().contains("killed by signal 9"), failed.getCause().getMessage());
        assertFalse(tables().contains("table inet " + criuTable + "\n"), "criu's network lock is gone: " + tables());
        assertTrue(supervisor.get(GPID).orElseThrow().running(), "the tree runs on after the failed dump");
        roundTrip("after", Duration.ofSeconds(10));
        roundTrip("and after", Duration.ofSeconds(10));
        assertTrue(images.store().find(IMAGE).isEmpty());
    }

    private String output() {
        return Supervised.output(supervisor, GPID, OutputStream.STDOUT);
    }

    /** The pid of the criu dump writing into criuDir (the shell above it is not it). */
    private static OptionalLong criuDumping(Path criuDir) throws IOException {
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path proc : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                List<String> args;
                try {
                    args = List.of(Files.readString(proc.resolve("cmdline"), StandardCharsets.ISO_8859_1).split("\0"));
                } catch (IOException e) {
                    continue;
                }
                if (!args.isEmpty() && args.get(0).endsWith("criu") && args.contains("dump") && args.contains(criuDir.toString())) {
                    return OptionalLong.of(Long.parseLong(proc.getFileName().toString()));
                }
            }
        }
        return OptionalLong.empty();
    }

    private static String readLog(Path log) {
        try {
            return Files.readString(log, StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            return "";
        }
    }

    private static void signal(String sig, long pid) throws Exception {
        assertTrue(new ProcessBuilder("kill", "-" + sig, Long.toString(pid)).inheritIO().start().waitFor() == 0, "kill " + sig);
    }

    private String listTable(String table) {
        return nftOut("list", "table", "inet", table);
    }

    private String tables() {
        return nftOut("list", "tables");
    }

    private String nftOut(String... args) {
        List<String> cmd = new ArrayList<>(List.of(nft.get().toString()));
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(10, TimeUnit.SECONDS);
            return out;
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }
}
