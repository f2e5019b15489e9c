package io.unum.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unum.api.model.ProcessState;
import io.unum.cli.UnumCommand;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/** The unum command against a real cluster, as a user types it. */
@Timeout(120)
class CliTest extends ClusterTest {
    CliTest() {
        super(2);
    }

    record Result(int exit, String out, String err, String rawOut, String rawErr) {
    }

    private Result unum(String token, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        ByteArrayOutputStream rawOut = new ByteArrayOutputStream();
        ByteArrayOutputStream rawErr = new ByteArrayOutputStream();
        Map<String, String> env = Map.of("UNUM_URL", cluster.apiUrl(), "UNUM_TOKEN", token, "COLUMNS", "200");
        CommandLine cli = new CommandLine(new UnumCommand(env, Path.of("/nonexistent/cli.properties"), rawOut, rawErr));
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute(args);
        return new Result(exit, out.toString(), err.toString(), rawOut.toString(StandardCharsets.UTF_8),
                rawErr.toString(StandardCharsets.UTF_8));
    }

    private Result admin(String... args) {
        return unum(cluster.adminToken(), args);
    }

    @Test
    void migrateCheckpointAndRestartWithProgressOnStderr() {
        Result run = admin("run", "--node", "node-1", "--cap", "+CAN_MIGRATE,+CHECKPOINTABLE", "--",
                "bash", "-c", "for ((i=0; ; i++)); do echo $i; sleep 0.05; done");
        assertEquals(0, run.exit(), run.err());
        int gpid = Integer.parseInt(run.out().trim());
        try {
            Result migrate = admin("migrate", Integer.toString(gpid), "node-2");
            assertEquals(0, migrate.exit(), migrate.err());
            assertTrue(migrate.out().matches("(?s)process " + gpid + " runs on node-2 \\(migration m-[0-9a-f]+, stop-and-copy\\): "
                    + "frozen \\d+ ms.*"), migrate.out());
            assertTrue(migrate.err().contains("dumping") || migrate.err().contains("transferring")
                    || migrate.err().contains("restoring"), "progress on stderr: " + migrate.err());
            assertEquals("node-2", api.process(gpid).node());

            Result postCopy = admin("migrate", "--post-copy", Integer.toString(gpid), "node-1");
            assertEquals(0, postCopy.exit(), postCopy.err());
            assertTrue(postCopy.out().contains("post-copy"), postCopy.out());

            Result checkpoint = admin("checkpoint", "--kill", Integer.toString(gpid));
            assertEquals(0, checkpoint.exit(), checkpoint.err());
            String id = checkpoint.out().trim();
            assertTrue(id.matches("c-[0-9a-f]+"), checkpoint.out());
            api.awaitState(gpid, ProcessState.EXITED);
            Result list = admin("checkpoints", "--gpid", Integer.toString(gpid));
            assertTrue(list.out().contains(id) && list.out().contains("node-1"), list.out());

            Result restart = admin("restart", id, "--node", "node-2");
            assertEquals(0, restart.exit(), restart.err());
            assertEquals(Integer.toString(gpid), restart.out().trim());
            assertEquals("node-2", api.process(gpid).node());
            Result again = admin("restart", id);
            assertEquals(1, again.exit());
            assertTrue(again.err().contains("still RUNNING"), again.err());
            Result refused = admin("migrate", Integer.toString(gpid), "node-2");
            assertEquals(1, refused.exit());
            assertTrue(refused.err().contains("already runs on node-2"), refused.err());
        } finally {
            api.signal(gpid, "KILL");
        }
    }

    @Test
    void runPsLogsKillCaps() {
        Result run = admin("run", "--node", "node-2", "--cap", "+CAN_MIGRATE", "--",
                "sh", "-c", "echo hello-from-unum; echo oops >&2; exec sleep 300");
        assertEquals(0, run.exit(), run.err());
        int gpid = Integer.parseInt(run.out().trim());

        Result ps = admin("ps");
        assertEquals(0, ps.exit(), ps.err());
        String row = ps.out().lines().filter(l -> l.trim().startsWith(gpid + " ")).findFirst().orElseThrow(
                () -> new AssertionError("gpid " + gpid + " not in:\n" + ps.out()));
        String user = api.process(gpid).user(); // its own dynamic uid, shown as a number like ps does
        assertTrue(row.contains("node-2") && row.contains("RUNNING") && row.contains(user), row);

        Api.await(() -> admin("logs", Integer.toString(gpid)), r -> r.rawOut().contains("hello-from-unum"),
                java.time.Duration.ofSeconds(10), "logs");
        assertEquals("oops\n", admin("logs", Integer.toString(gpid)).rawErr());

        Result caps = admin("caps", Integer.toString(gpid));
        assertTrue(caps.out().contains("CAN_MIGRATE"), caps.out());
        Result drop = admin("caps", Integer.toString(gpid), "-e", "-CAN_MIGRATE");
        assertEquals(0, drop.exit(), drop.err());
        assertTrue(!api.process(gpid).capabilities().effective().contains(io.unum.api.model.Capability.CAN_MIGRATE));

        Result kill = admin("kill", "-9", Integer.toString(gpid));
        assertEquals(0, kill.exit(), kill.err());
        assertEquals(9, api.awaitState(gpid, ProcessState.EXITED).exitSignal());
        Result all = admin("ps", "-a");
        assertTrue(all.out().contains("EXITED"), all.out());
    }

    @Test
    void nodesListsEveryAgent() {
        Result nodes = admin("nodes");
        assertEquals(0, nodes.exit(), nodes.err());
        assertTrue(nodes.out().contains("node-1") && nodes.out().contains("node-2") && nodes.out().contains("READY"), nodes.out());
    }

    @Test
    void errorsAreExplainedAndExitNonZero() {
        Result missing = admin("kill", "1999999999");
        assertEquals(1, missing.exit());
        assertTrue(missing.err().contains("1999999999"), missing.err());
        Result viewer = unum(cluster.viewerToken(), "run", "--", "true");
        assertEquals(1, viewer.exit());
        assertTrue(viewer.err().contains("admin"), viewer.err());
        Result noBinary = admin("run", "--", "definitely-not-a-binary");
        assertEquals(1, noBinary.exit());
        assertTrue(noBinary.err().contains("definitely-not-a-binary"), noBinary.err() + noBinary.out());
    }
}
