package io.unum.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.unum.api.model.FsChunkInfo;
import io.unum.api.model.FsEntryInfo;
import io.unum.api.model.FsEntryType;
import io.unum.api.model.FsListing;
import io.unum.api.model.FsNodeUsageInfo;
import io.unum.api.model.FsRepairInfo;
import io.unum.api.model.FsReplicaInfo;
import io.unum.api.model.FsUsage;
import io.unum.api.model.NodeState;
import io.unum.client.Json;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** {@code unum fs} run in-process against a fake of the REST API. */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class FsCommandsTest {
    private static final Instant T = Instant.parse("2026-12-03T10:00:00Z");

    @RegisterExtension
    final FakeUnum fake = new FakeUnum();

    static FsEntryInfo entry(String path, FsEntryType type, long size, List<FsChunkInfo> chunks, int under, int unavailable) {
        String name = path.substring(path.lastIndexOf('/') + 1);
        return new FsEntryInfo(path, name, 7, type, type == FsEntryType.DIRECTORY ? "0755" : "0644", 1000, 1000, size, 1,
                T, T, 2, null, chunks, under, unavailable);
    }

    static FsEntryInfo file(String path, long size) {
        return entry(path, FsEntryType.FILE, size, null, 0, 0);
    }

    @Test
    void lsTakesTheMountPathAndListsNamesOrALongTable() throws Exception {
        FsListing listing = new FsListing(entry("/data", FsEntryType.DIRECTORY, 0, null, 0, 0),
                List.of(entry("/data/in", FsEntryType.DIRECTORY, 0, null, 0, 0), file("/data/a.txt", 5 << 20)));
        fake.json("GET /api/v1/fs/list/data", 200, listing);

        Cli.Result names = Cli.against(fake).run("fs", "ls", "/unum/fs/data");
        assertEquals(0, names.exit(), names.err());
        assertEquals("in\na.txt\n", names.out());

        Cli.Result table = Cli.against(fake).run("fs", "ls", "-l", "/data/");
        assertEquals(0, table.exit(), table.err());
        assertTrue(table.out().startsWith("MODE"), table.out());
        assertTrue(table.out().contains("drwxr-xr-x") && table.out().contains("-rw-r--r--")
                && table.out().contains("5.0M") && table.out().contains("a.txt"), table.out());

        JsonNode json = Json.MAPPER.readTree(Cli.against(fake).run("fs", "ls", "--json", "/data").out());
        assertEquals("a.txt", json.get("entries").get(1).get("name").asText());
    }

    @Test
    void lsOfTheMountPointIsTheRoot() {
        fake.json("GET /api/v1/fs/list/", 200, new FsListing(entry("/", FsEntryType.DIRECTORY, 0, null, 0, 0), List.of()));
        assertEquals(0, Cli.against(fake).run("fs", "ls", "/unum/fs").exit());
        assertEquals(0, Cli.against(fake).run("fs", "ls").exit());
        assertEquals(2, fake.calls("GET", "/api/v1/fs/list/").size());
    }

    @Test
    void lsOfAFileShowsTheFile() {
        fake.problem("GET /api/v1/fs/list/data/a.txt", 409, "Conflict", "/data/a.txt is not a directory");
        fake.json("GET /api/v1/fs/stat/data/a.txt", 200, file("/data/a.txt", 3));
        Cli.Result r = Cli.against(fake).run("fs", "ls", "/data/a.txt");
        assertEquals(0, r.exit(), r.err());
        assertEquals("a.txt\n", r.out());
    }

    @Test
    void aBadPathIsAUsageErrorWithFsPathsMessageAndNoRequest() {
        Cli.Result relative = Cli.against(fake).run("fs", "stat", "data/a.txt");
        assertEquals(2, relative.exit());
        assertTrue(relative.err().contains("is not absolute: it must start with /"), relative.err());

        Cli.Result dotdot = Cli.against(fake).run("fs", "rm", "/unum/fs/data/../../etc");
        assertEquals(2, dotdot.exit());
        assertTrue(dotdot.err().contains("'..' is not allowed"), dotdot.err());

        Cli.Result put = Cli.against(fake).run("fs", "put", "x", "/a//b");
        assertEquals(2, put.exit());
        assertTrue(put.err().contains("empty component"), put.err());
        assertTrue(fake.calls.isEmpty(), fake.calls.toString());
    }

    @Test
    void statShowsEachChunksReplicasAndTheHealthLine() {
        List<FsChunkInfo> chunks = List.of(
                new FsChunkInfo(0, "0000000000000007-0-aa", 4 << 20, "1a2b3c4d",
                        List.of(new FsReplicaInfo("node-1", "HEALTHY"), new FsReplicaInfo("node-2", "NODE_DOWN"))),
                new FsChunkInfo(1, "0000000000000007-1-bb", 1 << 20, "0badf00d", List.of()));
        fake.json("GET /api/v1/fs/stat/data/a.txt", 200, entry("/data/a.txt", FsEntryType.FILE, 5 << 20, chunks, 2, 1));
        Cli.Result r = Cli.against(fake).run("fs", "stat", "/data/a.txt");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("type      FILE"), r.out());
        assertTrue(r.out().contains("mode      0644 (-rw-r--r--)"), r.out());
        assertTrue(r.out().contains("owner     uid 1000, gid 1000"), r.out());
        assertTrue(r.out().contains("goal      2 replicas"), r.out());
        assertTrue(r.out().contains("health    2 chunks: 2 under-replicated, 1 unavailable"), r.out());
        assertTrue(r.out().contains("0000000000000007-0-aa") && r.out().contains("1a2b3c4d")
                && r.out().contains("node-1:HEALTHY node-2:NODE_DOWN"), r.out());
    }

    @Test
    void statOfAMissingPathFailsWithTheProblem() {
        fake.problem("GET /api/v1/fs/stat/nope", 404, "Not Found", "no such file or directory: /nope");
        Cli.Result r = Cli.against(fake).run("fs", "stat", "/nope");
        assertEquals(1, r.exit());
        assertEquals("unum: Not Found: no such file or directory: /nope\n", r.err());
    }

    @Test
    void putStreamsTheFileWithItsOptions(@TempDir Path dir) throws Exception {
        Path local = dir.resolve("results.csv");
        Files.writeString(local, "a,b\n1,2\n");
        fake.json("PUT /api/v1/fs/files/data/results.csv", 201, file("/data/results.csv", 8));
        Cli.Result r = Cli.against(fake).run("fs", "put", "--replicas", "3", "--mode", "600", "--parents",
                "--no-overwrite", local.toString(), "/unum/fs/data/");
        assertEquals(0, r.exit(), r.err());
        assertEquals("wrote /data/results.csv: 8B, goal 2\n", r.out());
        FakeUnum.Call call = fake.calls.get(0);
        assertEquals("a,b\n1,2\n", call.body());
        assertEquals("application/octet-stream", call.header("Content-Type"));
        assertEquals("8", call.header("Content-Length"));
        assertEquals("mode=0600&replicas=3&parents=true&overwrite=false", call.query());
    }

    @Test
    void putDefaultsLeaveModeAndGoalToTheServer(@TempDir Path dir) throws Exception {
        Path local = dir.resolve("empty");
        Files.createFile(local);
        fake.json("PUT /api/v1/fs/files/e", 200, file("/e", 0));
        Cli.Result r = Cli.against(fake).run("fs", "put", local.toString(), "/e");
        assertEquals(0, r.exit(), r.err());
        assertEquals("parents=false&overwrite=true", fake.calls.get(0).query());
    }

    @Test
    void putRefusesBadOptionsAndMissingFilesBeforeSendingAnything(@TempDir Path dir) throws Exception {
        Path local = dir.resolve("x");
        Files.writeString(local, "x");
        assertEquals(2, Cli.against(fake).run("fs", "put", "--replicas", "0", local.toString(), "/x").exit());
        Cli.Result mode = Cli.against(fake).run("fs", "put", "--mode", "rw", local.toString(), "/x");
        assertEquals(2, mode.exit());
        assertTrue(mode.err().contains("--mode must be octal"), mode.err());
        Cli.Result missing = Cli.against(fake).run("fs", "put", dir.resolve("nope").toString(), "/x");
        assertEquals(1, missing.exit());
        assertTrue(missing.err().contains("no such file"), missing.err());
        assertTrue(fake.calls.isEmpty(), fake.calls.toString());
    }

    @Test
    void putOverAnExistingFileWithNoOverwriteFails(@TempDir Path dir) throws Exception {
        Path local = dir.resolve("x");
        Files.writeString(local, "x");
        fake.problem("PUT /api/v1/fs/files/x", 409, "Conflict", "/x exists");
        Cli.Result r = Cli.against(fake).run("fs", "put", "--no-overwrite", local.toString(), "/x");
        assertEquals(1, r.exit());
        assertTrue(r.err().endsWith("unum: Conflict: /x exists\n"), r.err());
    }

    @Test
    void getWritesBytesToAFileInADirectoryOrToStdout(@TempDir Path dir) throws Exception {
        byte[] data = new byte[300_000];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 31);
        }
        fake.on("GET /api/v1/fs/files/data/blob.bin", (ex, call) -> {
            ex.getResponseHeaders().set("Content-Type", "application/octet-stream");
            ex.sendResponseHeaders(200, data.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(data);
            }
        });
        Cli.Result toDir = Cli.against(fake).run("fs", "get", "/data/blob.bin", dir.toString());
        assertEquals(0, toDir.exit(), toDir.err());
        assertArrayEquals(data, Files.readAllBytes(dir.resolve("blob.bin")));

        Cli.Result toStdout = Cli.against(fake).run("fs", "get", "/unum/fs/data/blob.bin", "-");
        assertEquals(0, toStdout.exit(), toStdout.err());
        assertArrayEquals(data, toStdout.stdoutBytes());
    }

    @Test
    void aFailedGetLeavesTheLocalFileAsItWasAndNoTemporaryFile(@TempDir Path dir) throws Exception {
        Path local = dir.resolve("keep.txt");
        Files.writeString(local, "precious");
        fake.problem("GET /api/v1/fs/files/nope", 404, "Not Found", "no such file or directory: /nope");
        Cli.Result missing = Cli.against(fake).run("fs", "get", "/nope", local.toString());
        assertEquals(1, missing.exit());
        assertTrue(missing.err().contains("no such file or directory: /nope"), missing.err());
        assertEquals("precious", Files.readString(local));

        // A server that dies mid-body: the connection closes after 9 of the 1000 bytes announced.
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread dying = new Thread(() -> {
                try (Socket s = server.accept()) {
                    s.getInputStream().read(new byte[8192]);
                    s.getOutputStream().write(("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                            + "Content-Length: 1000\r\n\r\nonly this").getBytes(StandardCharsets.US_ASCII));
                } catch (IOException e) {
                    // the client went away first: the assertions below say what matters
                }
            });
            dying.start();
            Cli.Result cut = new Cli().env("UNUM_URL", "http://127.0.0.1:" + server.getLocalPort())
                    .run("fs", "get", "/short", local.toString());
            dying.join();
            assertEquals(1, cut.exit());
            assertTrue(cut.err().contains("unum: "), cut.err());
        }
        assertEquals("precious", Files.readString(local));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(local), files.toList());
        }
    }

    @Test
    void rmMkdirAndReplicasSendWhatWasAsked() throws Exception {
        fake.on("DELETE /api/v1/fs/entries/scratch", (ex, call) -> FakeUnum.send(ex, 204, null, null));
        assertEquals(0, Cli.against(fake).run("fs", "rm", "-r", "/scratch").exit());
        assertEquals("recursive=true", fake.calls("DELETE", "/api/v1/fs/entries/scratch").get(0).query());

        fake.json("PUT /api/v1/fs/directories/data/2026", 201, entry("/data/2026", FsEntryType.DIRECTORY, 0, null, 0, 0));
        assertEquals(0, Cli.against(fake).run("fs", "mkdir", "-p", "/data/2026").exit());
        assertTrue(Json.MAPPER.readTree(fake.calls("PUT", "/api/v1/fs/directories/data/2026").get(0).body())
                .get("parents").asBoolean());

        fake.json("PUT /api/v1/fs/replicas/data", 200, entry("/data", FsEntryType.DIRECTORY, 0, null, 0, 0));
        Cli.Result r = Cli.against(fake).run("fs", "replicas", "-r", "/data", "3");
        assertEquals(0, r.exit(), r.err());
        JsonNode body = Json.MAPPER.readTree(fake.calls("PUT", "/api/v1/fs/replicas/data").get(0).body());
        assertEquals(3, body.get("replicas").asInt());
        assertTrue(body.get("recursive").asBoolean());
        assertEquals(2, Cli.against(fake).run("fs", "replicas", "/data", "10").exit());
    }

    @Test
    void dfShowsEachNodeAndTheRepairLine() throws Exception {
        FsUsage usage = new FsUsage(List.of(
                new FsNodeUsageInfo("node-1", NodeState.READY, 100L << 30, 60L << 30, 8L << 30, 2048, T),
                new FsNodeUsageInfo("node-2", NodeState.DOWN, 0, 0, 0, 0, null)),
                new FsRepairInfo(4096, 12, 1, 30, 2, T, 2, 4 << 20));
        fake.json("GET /api/v1/fs/usage", 200, usage);
        Cli.Result r = Cli.against(fake).run("fs", "df");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().startsWith("NODE"), r.out());
        assertTrue(r.out().contains("100.0G") && r.out().contains("8.0G") && r.out().contains("60.0G")
                && r.out().contains("40%") && r.out().contains("2048"), r.out());
        assertTrue(r.out().contains("node-2  DOWN"), r.out());
        assertTrue(r.out().contains("never"), r.out());
        assertTrue(r.out().contains("repair: 4096 chunks, 12 under-replicated, 1 unavailable; 30 replicas repaired, 2 in flight"),
                r.out());
        assertEquals(2, Json.MAPPER.readTree(Cli.against(fake).run("fs", "df", "--json").out()).get("nodes").size());
    }

    @Test
    void fsAloneShowsItsSubcommands() {
        Cli.Result r = Cli.against(fake).run("fs");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("put") && r.err().contains("replicas") && r.err().contains("df"), r.err());
    }
}
