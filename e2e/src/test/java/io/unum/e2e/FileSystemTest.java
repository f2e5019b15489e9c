package io.unum.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.unum.api.model.MigrationState;
import io.unum.api.model.ProcessInfo;
import io.unum.api.model.ProcessState;
import io.unum.api.model.SpawnRequest;
import io.unum.client.RawResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 12: one tree on every node. Each agent of the local cluster runs in a mount namespace of
 * its own with its own FUSE mount of the tree, so a file written through node-1's mount and read
 * through node-2's crossed two agents and the block transfer between them, as it would across
 * machines. The programs are ordinary ones (python3, sqlite3, git, tar, sha256sum), run by Unum as
 * unprivileged users.
 */
@Timeout(600)
class FileSystemTest extends ClusterTest {
    private static final String MOUNT = "/unum/fs";

    /** This test's own directory in the tree ("/unum/fs/t-…"), made world-writable by its first program. */
    private String dir;

    FileSystemTest() {
        super(3);
    }

    @BeforeEach
    void ownDirectory() {
        dir = MOUNT + "/t-" + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
        sh("node-1", "mkdir -m 0777 " + dir + " && chmod 0777 " + dir);
    }

    private ProcessInfo start(String node, List<String> argv) {
        ProcessInfo p = api.spawn(new SpawnRequest(argv, node, null, null, null, null, null));
        started.add(p.gpid());
        return p;
    }

    /** Runs a shell command line on a node to its end; fails with its output unless it exits 0. */
    private String sh(String node, String script) {
        return endOk(start(node, List.of("bash", "-c", "set -euo pipefail; umask 000; " + script)), Duration.ofSeconds(300));
    }

    private String endOk(ProcessInfo p, Duration timeout) {
        ProcessInfo e = api.awaitProcess(p.gpid(), q -> q.state() == ProcessState.EXITED, timeout);
        String out = api.stdout(p.gpid());
        assertEquals(0, e.exitCode(), "gpid " + p.gpid() + " on " + p.node() + ": " + e + "\nstdout: " + out
                + "\nstderr: " + api.stderr(p.gpid()));
        return out;
    }

    private JsonNode stat(String treePath) {
        RawResponse r = api.get("/api/v1/fs/stat" + treePath);
        assertEquals(200, r.status(), r.body());
        return r.json();
    }

    private static String tree(String mountPath) {
        return mountPath.substring(MOUNT.length());
    }

    @Test
    void aFileWrittenOnOneNodeIsReadWholeOnAnotherAndItsChunksHaveTheirReplicas() {
        String file = dir + "/data.bin";
        // 20 MiB of bytes that differ everywhere: five chunks, the last one partial.
        String written = sh("node-1", "head -c 20971000 /dev/urandom > " + file + " && sha256sum < " + file);
        String read = sh("node-2", "sha256sum < " + file);
        assertEquals(written, read, "node-2 read what node-1 wrote");
        assertEquals(written, sh("node-3", "cat " + file + " | sha256sum"));

        JsonNode entry = stat(tree(file));
        assertEquals(20971000, entry.get("sizeBytes").asLong());
        assertEquals(5, entry.get("chunks").size(), entry.toPrettyString());
        for (JsonNode chunk : entry.get("chunks")) {
            assertEquals(2, chunk.get("replicas").size(), "the default goal is 2: " + chunk);
            List<String> nodes = new ArrayList<>();
            chunk.get("replicas").forEach(r -> nodes.add(r.get("node").asText()));
            assertEquals(2, nodes.stream().distinct().count(), "replicas on distinct nodes: " + nodes);
            assertTrue(nodes.contains("node-1"), "the writer's node keeps a replica: " + nodes);
        }
        assertEquals(0, entry.get("underReplicatedChunks").asInt());
    }

    @Test
    void renameAppendTruncateAndPermissionsBehaveAsOnALocalDisk() {
        String out = sh("node-1", String.join(" && ",
                "cd " + dir,
                "printf 'one\\n' > a.txt",
                "printf 'two\\n' >> a.txt",
                "mv a.txt b.txt",
                "test ! -e a.txt",
                "ln b.txt c.txt",
                "stat -c '%h' b.txt",
                "truncate -s 2 c.txt",
                "chmod 0600 c.txt",
                "stat -c '%a %s' b.txt",
                "mkdir sub && touch sub/x && (rmdir sub 2>/dev/null && echo removed || echo not-empty)",
                "ln -s b.txt link && readlink link"));
        assertEquals(String.join("\n", "2", "600 2", "not-empty", "b.txt") + "\n", out);
        // Another node, another user: the 0600 file is closed to it, the directory listing is not.
        ProcessInfo p = start("node-2", List.of("bash", "-c", "ls " + dir + " | tr '\\n' ' '; cat " + dir + "/b.txt"));
        ProcessInfo e = api.awaitProcess(p.gpid(), q -> q.state() == ProcessState.EXITED, Duration.ofSeconds(60));
        assertEquals("b.txt c.txt link sub ", api.stdout(p.gpid()));
        assertTrue(api.stderr(p.gpid()).contains("Permission denied"), api.stderr(p.gpid()));
        assertEquals(1, e.exitCode());
    }

    @Test
    void sqliteWritesOnOneNodeAndIsQueriedOnAnother() {
        String db = dir + "/rows.db";
        sh("node-1", "python3 - <<'EOF'\n"
                + "import sqlite3\n"
                + "c = sqlite3.connect('" + db + "')\n"
                + "c.execute('create table t (id integer primary key, v integer)')\n"
                + "c.executemany('insert into t (v) values (?)', (((i * 7) % 1000,) for i in range(100000)))\n"
                + "c.commit()\n"
                + "c.close()\n"
                + "EOF");
        String result = sh("node-2", "sqlite3 -readonly " + db + " 'select count(*), sum(v) from t; pragma integrity_check;'");
        long sum = 0;
        for (int i = 0; i < 100000; i++) {
            sum += (i * 7L) % 1000;
        }
        assertEquals("100000|" + sum + "\nok\n", result);
    }

    /**
     * sqlite3 on two nodes at once on one database: their fcntl locks exclude each other across
     * nodes, and a writer that gets the lock reads what the other committed (its chunk map and
     * page cache are refreshed). Each transaction counts the rows it sees before it adds one, so
     * with the lock held across nodes the counts are 0, 1, 2... each once; a stale read or a lock
     * held on both nodes at once repeats a count, loses a row or corrupts the file.
     */
    @Test
    void sqliteOnTwoNodesAtOnceKeepsEveryRowAndSerializesTheirTransactions() {
        String db = dir + "/shared.db";
        sh("node-1", "sqlite3 " + db + " 'create table t (node text, i integer, seen integer)' && chmod 0666 " + db);
        int each = 40;
        List<ProcessInfo> writers = new ArrayList<>();
        for (String node : List.of("node-1", "node-2")) {
            writers.add(start(node, List.of("bash", "-c", "umask 000; exec python3 - <<'EOF'\n"
                    + "import sqlite3\n"
                    + "c = sqlite3.connect('" + db + "', timeout=120, isolation_level=None)\n"
                    + "for i in range(" + each + "):\n"
                    + "    c.execute('begin immediate')\n"
                    + "    seen = c.execute('select count(*) from t').fetchone()[0]\n"
                    + "    c.execute('insert into t values (?, ?, ?)', ('" + node + "', i, seen))\n"
                    + "    c.execute('commit')\n"
                    + "c.close()\n"
                    + "print('done')\n"
                    + "EOF")));
        }
        for (ProcessInfo w : writers) {
            assertEquals("done\n", endOk(w, Duration.ofSeconds(600)));
        }
        String result = sh("node-3", "sqlite3 -readonly " + db + " 'select count(*), count(distinct seen), min(seen), max(seen),"
                + " count(distinct node) from t; pragma integrity_check;'");
        int rows = 2 * each;
        assertEquals(rows + "|" + rows + "|0|" + (rows - 1) + "|2\nok\n", result,
                "every row there, each transaction saw every earlier one, the file whole");
    }

    @Test
    void gitAndTarRoundTripsGiveWhatALocalDiskGives() {
        // The same archive of a real source tree, made from the local disk and from the tree after
        // an extract on another node, must be byte-identical.
        String archive = "tar -c --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --mode=u+rw,go+r -C ";
        String local = sh("node-1", archive + "/usr/include/linux/netfilter . | sha256sum");
        // Each program runs as a uid of its own: the extracting one makes the directory it fills.
        sh("node-1", "tar -c -C /usr/include/linux/netfilter . > " + dir + "/src.tar");
        sh("node-2", "mkdir " + dir + "/src && tar -x -C " + dir + "/src -f " + dir + "/src.tar");
        assertEquals(local, sh("node-3", archive + dir + "/src . | sha256sum"));

        String git = "git -c safe.directory='*' -c user.name=u -c user.email=u@example.org ";
        String commit = sh("node-1", "mkdir " + dir + "/repo && cp -r /usr/include/linux/netfilter/. " + dir + "/repo && cd " + dir
                + "/repo && " + git + "init -q && " + git + "add -A && " + git + "commit -q -m 'linux headers' && " + git
                + "rev-parse HEAD");
        String log = sh("node-2", "cd " + dir + "/repo && " + git + "log --format=%H%n%s && " + git + "fsck --strict 2>&1 | wc -l");
        assertEquals(commit + "linux headers\n0\n", log);
    }

    @Test
    void aWriterMigratedTwiceMidWriteLeavesTheFileAnUnmigratedRunWouldLeave() {
        String file = dir + "/lines.txt";
        // Appends numbered lines through one open file, flushing each, for a few seconds.
        ProcessInfo writer = api.spawn(new SpawnRequest(List.of("python3", "-u", "-c", String.join("\n",
                "import os, time",
                "os.umask(0)",
                "f = open('" + file + "', 'a')",
                "for i in range(400):",
                "    f.write('line %d\\n' % i)",
                "    f.flush()",
                "    time.sleep(0.02)",
                "f.close()",
                "print('done')")), "node-1", null, null, null, null, "+CAN_MIGRATE"));
        started.add(writer.gpid());
        Api.await(() -> sh("node-1", "wc -l < " + file + " 2>/dev/null || echo 0").strip(),
                n -> Integer.parseInt(n) >= 50, Duration.ofSeconds(60), "the writer wrote 50 lines");
        assertEquals(MigrationState.DONE, api.migrate(writer.gpid(), "node-2").state(), "first move");
        assertEquals(MigrationState.DONE, api.migrate(writer.gpid(), "node-3").state(), "second move");
        assertEquals("done\n", endOk(writer, Duration.ofSeconds(120)));
        StringBuilder expected = new StringBuilder();
        for (int i = 0; i < 400; i++) {
            expected.append("line ").append(i).append('\n');
        }
        assertEquals(sha(expected.toString()), sh("node-2", "sha256sum < " + file).split(" ")[0]);
    }

    @Test
    void badPathsAndViewersAreRefusedWithProblems() {
        // Dots the HTTP layer would normalise away, hidden behind encoded slashes: they reach the
        // path rules whole and are refused, for a read and for a write.
        RawResponse dots = api.get("/api/v1/fs/files/..%2F..%2Fetc%2Fpasswd");
        assertEquals(400, dots.status(), dots.body());
        assertTrue(dots.contentType().startsWith("application/problem+json"), dots.contentType());
        assertTrue(dots.body().contains(".."), dots.body());
        RawResponse dotsUp = api.put("/api/v1/fs/directories/a%2F..%2F..%2Fescape", null);
        assertEquals(400, dotsUp.status(), dotsUp.body());
        RawResponse missing = api.get("/api/v1/fs/stat/no-such-" + System.nanoTime());
        assertEquals(404, missing.status(), missing.body());
        RawResponse longName = api.get("/api/v1/fs/stat/" + "n".repeat(300));
        assertEquals(400, longName.status(), longName.body());
        Api viewer = api.as(cluster.viewerToken());
        RawResponse write = viewer.put("/api/v1/fs/directories" + tree(dir) + "/by-viewer", null);
        assertEquals(403, write.status(), write.body());
        assertEquals(404, api.get("/api/v1/fs/stat" + tree(dir) + "/by-viewer").status(), "nothing was made");
    }

    private static String sha(String s) {
        try {
            byte[] d = java.security.MessageDigest.getInstance("SHA-256").digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(d);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
