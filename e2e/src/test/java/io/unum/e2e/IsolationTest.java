package io.unum.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unum.api.model.CheckpointInfo;
import io.unum.api.model.MigrationState;
import io.unum.api.model.ProcessInfo;
import io.unum.api.model.ProcessState;
import io.unum.api.model.SpawnRequest;
import io.unum.client.RawResponse;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 10, finding 4, as an attacker would try it: programs started through Unum on real agents
 * go after each other's environment, memory and files, and after root through a setuid binary.
 * Before isolation every process ran as nobody, so each of these reads succeeded.
 */
@Timeout(240)
class IsolationTest extends ClusterTest {
    /** Default of unum.process.dynamic-ids. */
    private static final int FIRST = 61184;
    private static final int LAST = 65519;

    /** Shared like /tmp (1777): where the programs leave files for each other. */
    private Path shared;

    IsolationTest() {
        super(2);
    }

    @BeforeAll
    void sharedDirectory() throws IOException {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
                "switching users needs the agents to run as root");
        shared = Files.createTempDirectory(Path.of("/tmp"), "unum-isolation-");
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxrwx"));
        new ProcessBuilder("chmod", "+t", shared.toString()).start().onExit().join();
    }

    @AfterAll
    void removeSharedDirectory() throws IOException {
        if (shared != null) {
            try (var files = Files.walk(shared)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void aProcessCannotReadAnotherTreesEnvironmentMemoryOrFilesButItsChildCan() {
        String secret = "hunter2-" + UUID.randomUUID();
        Path aFile = shared.resolve("a-" + UUID.randomUUID());
        ProcessInfo a = spawn(new SpawnRequest(List.of("sh", "-c", "echo private > " + aFile + "; exec sleep 300"),
                "node-1", null, null, null, Map.of("DB_PASSWORD", secret), null));
        awaitFile(aFile);
        assertDynamic(a);
        assertEquals(a.uid(), hostUid(a.localPid()), "the record says the uid it runs as");

        String probe = "for f in /proc/" + a.localPid() + "/environ /proc/" + a.localPid() + "/mem " + aFile
                + "; do if err=$(head -c 4096 \"$f\" 2>&1 >/dev/null); then echo \"$f: read\"; "
                + "else echo \"$f: $err\"; fi; done; head -c 4096 /proc/" + a.localPid() + "/environ | tr '\\0' '\\n'";
        ProcessInfo b = spawn(new SpawnRequest(List.of("sh", "-c", probe), "node-1", null, null, null, null, null));
        assertDynamic(b);
        assertNotEquals(a.uid(), b.uid(), "another tree, another uid");
        String stolen = endedStdout(b);
        for (String line : stolen.lines().limit(3).toList()) {
            assertTrue(line.contains("Permission denied"), "refused with EACCES: " + stolen);
        }
        assertFalse(stolen.contains(secret), "the secret leaked: " + stolen);

        ProcessInfo child = spawn(new SpawnRequest(List.of("sh", "-c", probe), "node-1", a.gpid(), null, null, null, null));
        assertEquals(a.uid(), child.uid(), "a child runs as its parent's uid");
        assertEquals(a.gid(), child.gid());
        String shared = endedStdout(child);
        assertTrue(shared.contains(aFile + ": read") && shared.contains("DB_PASSWORD=" + secret),
                "the same tree cooperates: " + shared);
    }

    @Test
    void processesNamingTheSameGroupShareFilesAndOthersDoNot() {
        Path file = shared.resolve("g-" + UUID.randomUUID());
        ProcessInfo writer = spawn(group(List.of("sh", "-c", "echo team-data > " + file + "; exec sleep 300"), "iso-team"));
        awaitFile(file);
        ProcessInfo reader = spawn(group(List.of("sh", "-c", "cat " + file + " && echo appended >> " + file), "iso-team"));
        assertDynamic(writer);
        assertDynamic(reader);
        assertNotEquals(writer.uid(), reader.uid(), "each keeps a uid of its own");
        assertEquals(writer.gid(), reader.gid(), "the group's gid is shared");
        assertNotEquals(writer.uid(), writer.gid(), "a group's gid is not any process's own");
        assertEquals("iso-team", reader.group());
        assertEquals("team-data\n", endedStdout(reader));
        assertEquals(0, api.process(reader.gpid()).exitCode(), "a member may write too");

        ProcessInfo outsider = spawn(new SpawnRequest(List.of("sh", "-c", "cat " + file), null, null, null, null, null, null));
        assertEquals("", endedStdout(outsider));
        assertNotEquals(0, api.process(outsider.gpid()).exitCode(), "another group cannot read it");
    }

    @Test
    void noNewPrivsByDefaultSoASetuidRootBinaryDoesNotElevateUnlessAnAdminOptsOut() throws Exception {
        Path suidId = shared.resolve("suid-id-" + UUID.randomUUID());
        Files.copy(Path.of("/usr/bin/id"), suidId, StandardCopyOption.REPLACE_EXISTING);
        new ProcessBuilder("chmod", "4755", suidId.toString()).start().onExit().join();
        List<String> argv = List.of("sh", "-c", "grep NoNewPrivs /proc/self/status; " + suidId + " -u");

        ProcessInfo confined = spawn(new SpawnRequest(argv, null, null, null, null, null, null));
        assertEquals(Boolean.TRUE, confined.noNewPrivs());
        assertEquals("NoNewPrivs:\t1\n" + confined.uid() + "\n", endedStdout(confined), "euid stays its own");

        ProcessInfo optedOut = spawn(new SpawnRequest(argv, null, null, null, null, null, null, null, null, false));
        assertEquals(Boolean.FALSE, optedOut.noNewPrivs());
        assertEquals("NoNewPrivs:\t0\n0\n", endedStdout(optedOut), "without the flag setuid works: the test can tell");

        assertEquals(403, api.as(cluster.viewerToken()).postRaw("/api/v1/processes",
                "{\"argv\": [\"true\"], \"noNewPrivs\": false}").status(), "opting out is for admins");
        assertEquals(400, api.postRaw("/api/v1/processes", "{\"argv\": [\"true\"], \"noNewPrivs\": \"maybe\"}").status());
    }

    @Test
    void rootOnlyWhenAskedForByName() {
        ProcessInfo plain = spawn(new SpawnRequest(List.of("id", "-u"), null, null, null, null, null, null));
        assertDynamic(plain);
        assertEquals(plain.uid() + "\n", endedStdout(plain));

        ProcessInfo root = spawn(new SpawnRequest(List.of("id", "-u"), null, null, null, "root", null, null));
        assertEquals("root", root.user());
        assertNull(root.uid(), "a named account has no dynamic uid");
        assertEquals("0\n", endedStdout(root));
    }

    @Test
    void identityRequestsThatCannotWorkAreRefusedAndWriteNothing() {
        int before = api.processes().size();
        assertEquals(400, api.post("/api/v1/processes", group(List.of("true"), "Bad Name")).status());
        assertEquals(400, api.post("/api/v1/processes",
                new SpawnRequest(List.of("true"), null, null, null, "root", null, null, null, "iso-team", null)).status());
        ProcessInfo parent = spawn(new SpawnRequest(List.of("sleep", "300"), null, null, null, null, null, null));
        RawResponse otherGroup = api.post("/api/v1/processes",
                new SpawnRequest(List.of("true"), null, parent.gpid(), null, null, null, null, null, "iso-team", null));
        assertEquals(400, otherGroup.status(), otherGroup.body());
        assertEquals(before + 1, api.processes().size(), "only the parent was written");
    }

    @Test
    void migrationAndCheckpointRestartKeepTheUidAndNoNewPrivs() {
        ProcessInfo p = spawn(new SpawnRequest(Programs.bashCounter(100_000), "node-1", null, null, null, null,
                "+CAN_MIGRATE,+CHECKPOINTABLE"));
        assertDynamic(p);
        Api.await(() -> api.stdout(p.gpid()), out -> out.lines().count() > 3, Duration.ofSeconds(20), "output");

        assertEquals(MigrationState.DONE, api.migrate(p.gpid(), "node-2").state());
        ProcessInfo moved = api.process(p.gpid());
        assertEquals("node-2", moved.node());
        assertEquals(p.uid(), moved.uid());
        assertEquals(p.uid(), hostUid(moved.localPid()), "CRIU restored the same uid");
        assertEquals("1", statusField(moved.localPid(), "NoNewPrivs"), "and the flag");

        assertEquals(MigrationState.DONE, api.migrate(p.gpid(), "node-1", "POST_COPY").state());
        ProcessInfo back = api.process(p.gpid());
        assertEquals(p.uid(), hostUid(back.localPid()), "post-copy too");

        RawResponse taken = api.post("/api/v1/processes/" + p.gpid() + "/checkpoints", Map.of("kill", true));
        assertEquals(201, taken.status(), taken.body());
        CheckpointInfo c = taken.as(CheckpointInfo.class);
        assertEquals(p.uid(), c.process().uid(), "the checkpoint keeps the identity");
        api.awaitState(p.gpid(), ProcessState.EXITED);
        RawResponse restarted = api.post("/api/v1/checkpoints/" + c.id() + "/restart", Map.of("node", "node-2"));
        assertEquals(200, restarted.status(), restarted.body());
        ProcessInfo again = restarted.as(ProcessInfo.class);
        assertEquals(p.uid(), again.uid());
        assertEquals(p.uid(), hostUid(again.localPid()), "a restart runs as the same uid");
    }

    private ProcessInfo spawn(SpawnRequest request) {
        ProcessInfo p = api.spawn(request);
        started.add(p.gpid());
        return p;
    }

    private static SpawnRequest group(List<String> argv, String group) {
        return new SpawnRequest(argv, "node-1", null, null, null, null, null, null, group, null);
    }

    private String endedStdout(ProcessInfo p) {
        api.awaitState(p.gpid(), ProcessState.EXITED);
        return api.stdout(p.gpid());
    }

    private static void assertDynamic(ProcessInfo p) {
        assertTrue(p.uid() != null && p.uid() >= FIRST && p.uid() <= LAST, "a dynamic uid: " + p);
        assertEquals(Integer.toString(p.uid()), p.user(), "shown as its uid");
        assertEquals(Boolean.TRUE, p.noNewPrivs());
    }

    private static void awaitFile(Path file) {
        Api.await(() -> Files.exists(file), Boolean::booleanValue, Duration.ofSeconds(10), file.toString());
    }

    private static int hostUid(int pid) {
        return Integer.parseInt(statusField(pid, "Uid").split("\\s+")[1]);
    }

    /** A field of /proc/PID/status ("Uid" gives "real effective saved fs", first real). */
    private static String statusField(int pid, String name) {
        String status = Api.await(() -> read(Path.of("/proc", Integer.toString(pid), "status")),
                s -> s.contains(name + ":"), Duration.ofSeconds(10), "status of " + pid);
        return status.lines().filter(l -> l.startsWith(name + ":")).findFirst().orElseThrow()
                .substring(name.length() + 1).trim();
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "";
        }
    }
}
