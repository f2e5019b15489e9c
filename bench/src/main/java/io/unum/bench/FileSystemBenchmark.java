package io.unum.bench;

import io.unum.api.fs.FsPath;
import io.unum.api.model.FsChunkInfo;
import io.unum.api.model.FsDirectoryRequest;
import io.unum.api.model.FsEntryInfo;
import io.unum.api.model.OutputChunk;
import io.unum.api.model.ProcessInfo;
import io.unum.api.model.SpawnRequest;
import io.unum.client.UnumClient;
import io.unum.testing.LocalCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The cluster file system (issue 12) on a real local cluster of three agents, each figure beside
 * the same program on the local disk in the same run. The programs are run by Unum as ordinary
 * processes: through node-1's FUSE mount for the tree, in a directory of the host's disk for the
 * local figures. Page caches are dropped before each read, so a read comes from the disk (local)
 * or from the agents' block stores (tree).
 * <ul>
 * <li><b>sequential write</b> of N MiB in 4 MiB writes, then fsync, at goals 1 and 3;
 * <li><b>sequential read</b> of that file on node-2 (another node's mount: the blocks cross);
 * <li><b>creates/s</b> and <b>stats/s</b> of empty files in one directory;
 * <li><b>repair</b>: a file of R MiB at goal 2, one holder's agent SIGKILLed; the time until it is
 * DOWN and until every chunk is back at 2 healthy replicas.
 * </ul>
 * No figure is asserted. Run: {@code ./mvnw -q -DskipTests install && ./mvnw -q -pl bench exec:java
 * -Dbench=FileSystemBenchmark} (options: {@code -Dmib=1024 -Dfiles=2000 -DrepairMib=1024}).
 */
public final class FileSystemBenchmark {
    private static final String PROGRAM = String.join("\n",
            "import os, sys, time",
            "mode, path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])",
            "os.umask(0)",
            "if mode == 'write':",
            "    block = os.urandom(4 << 20)",
            "    t = time.monotonic()",
            "    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)",
            "    for i in range(n // 4):",
            "        os.write(fd, block)",
            "    os.fsync(fd)",
            "    os.close(fd)",
            "    s = time.monotonic() - t",
            "    print('result seconds=%.3f mibps=%.1f' % (s, n / s))",
            "elif mode == 'read':",
            "    t = time.monotonic()",
            "    fd = os.open(path, os.O_RDONLY)",
            "    total = 0",
            "    while True:",
            "        b = os.read(fd, 4 << 20)",
            "        if not b:",
            "            break",
            "        total += len(b)",
            "    os.close(fd)",
            "    s = time.monotonic() - t",
            "    print('result seconds=%.3f mibps=%.1f bytes=%d' % (s, total / 1048576 / s, total))",
            "else:",
            "    os.mkdir(path, 0o777)",
            "    t = time.monotonic()",
            "    for i in range(n):",
            "        os.close(os.open(os.path.join(path, 'f%d' % i), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))",
            "    c = time.monotonic() - t",
            "    t = time.monotonic()",
            "    for i in range(n):",
            "        os.stat(os.path.join(path, 'f%d' % i))",
            "    s = time.monotonic() - t",
            "    print('result creates=%.0f stats=%.0f' % (n / c, n / s))");

    private final UnumClient api;

    private FileSystemBenchmark(UnumClient api) {
        this.api = api;
    }

    public static void main(String[] args) throws Exception {
        int mib = Integer.getInteger("mib", 1024) / 4 * 4;
        int files = Integer.getInteger("files", 2000);
        int repairMib = Integer.getInteger("repairMib", 1024);
        Path local = Files.createTempDirectory(Path.of("/var/tmp"), "unum-fs-bench",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxrwxrwx")));
        Files.setPosixFilePermissions(local, PosixFilePermissions.fromString("rwxrwxrwx"));
        try (LocalCluster cluster = LocalCluster.builder().controlPlanes(1).agents(3).build().start()) {
            FileSystemBenchmark bench = new FileSystemBenchmark(cluster.api());
            Map<String, String> figures = new LinkedHashMap<>();
            String tree = "/bench-" + Long.toHexString(System.nanoTime());
            for (int goal : List.of(1, 3)) {
                String dir = tree + "-g" + goal;
                bench.api.fsMkdir(FsPath.parse(dir), new FsDirectoryRequest("0777", false, goal));
                Map<String, String> w = bench.run("node-1", "write", "/unum/fs" + dir + "/seq", mib);
                dropCaches();
                Map<String, String> r = bench.run("node-2", "read", "/unum/fs" + dir + "/seq", 0);
                figures.put("sequential write " + mib + " MiB + fsync, goal " + goal + " (MiB/s)", w.get("mibps"));
                figures.put("sequential read on another node, goal " + goal + " (MiB/s)", r.get("mibps"));
            }
            Map<String, String> w = bench.run("node-1", "write", local.resolve("seq").toString(), mib);
            dropCaches();
            Map<String, String> r = bench.run("node-1", "read", local.resolve("seq").toString(), 0);
            figures.put("local disk: sequential write " + mib + " MiB + fsync (MiB/s)", w.get("mibps"));
            figures.put("local disk: sequential read (MiB/s)", r.get("mibps"));
            Files.delete(local.resolve("seq"));

            bench.api.fsMkdir(FsPath.parse(tree + "-small"), new FsDirectoryRequest("0777", false, 2));
            Map<String, String> small = bench.run("node-1", "small", "/unum/fs" + tree + "-small/d", files);
            Map<String, String> smallLocal = bench.run("node-1", "small", local.resolve("d").toString(), files);
            figures.put("creates/s, " + files + " empty files, goal 2", small.get("creates"));
            figures.put("stats/s", small.get("stats"));
            figures.put("local disk: creates/s", smallLocal.get("creates"));
            figures.put("local disk: stats/s", smallLocal.get("stats"));

            bench.repair(cluster, tree + "-repair", repairMib, figures);

            System.out.println();
            System.out.println("| figure | value |");
            System.out.println("|---|---|");
            figures.forEach((k, v) -> System.out.println("| " + k + " | " + v + " |"));
        } finally {
            try (var walk = Files.walk(local)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                System.err.println("could not remove " + local + ": " + e.getMessage());
            }
        }
    }

    private void repair(LocalCluster cluster, String dir, int mib, Map<String, String> figures) throws Exception {
        api.fsMkdir(FsPath.parse(dir), new FsDirectoryRequest("0777", false, 2));
        run("node-1", "write", "/unum/fs" + dir + "/f", mib);
        FsPath file = FsPath.parse(dir + "/f");
        String victim = api.fsStat(file).chunks().get(0).replicas().stream().map(r -> r.node())
                .filter(n -> !n.equals("node-1")).findFirst().orElse("node-2");
        Instant killed = Instant.now();
        cluster.agent(victim).kill();
        cluster.awaitNodeState(victim, "DOWN", Duration.ofMinutes(5));
        Duration toDown = Duration.between(killed, Instant.now());
        Instant deadline = Instant.now().plus(Duration.ofMinutes(30));
        while (!atGoal(api.fsStat(file), 2, victim)) {
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException("the repair did not finish within 30 minutes: " + api.fsUsage().repair());
            }
            Thread.sleep(200);
        }
        Duration toRepaired = Duration.between(killed, Instant.now());
        figures.put("repair of " + mib + " MiB at goal 2: kill → node DOWN (s)", String.format("%.1f", toDown.toMillis() / 1e3));
        figures.put("repair: kill → every chunk back at 2 replicas (s)", String.format("%.1f", toRepaired.toMillis() / 1e3));
        figures.put("repair: copy time after DOWN (MiB/s)", String.format("%.1f",
                mib / Math.max(0.001, (toRepaired.toMillis() - toDown.toMillis()) / 1e3)));
        cluster.agent(victim).restart();
    }

    private static boolean atGoal(FsEntryInfo entry, int goal, String gone) {
        for (FsChunkInfo c : entry.chunks()) {
            long healthy = c.replicas().stream().filter(r -> r.state().equals("HEALTHY") && !r.node().equals(gone)).count();
            if (healthy < goal) {
                return false;
            }
        }
        return true;
    }

    private static void dropCaches() throws IOException {
        try {
            Files.writeString(Path.of("/proc/sys/vm/drop_caches"), "3");
        } catch (IOException e) {
            System.err.println("page caches not dropped (" + e.getMessage() + "): reads may come from memory");
        }
    }

    private Map<String, String> run(String node, String mode, String path, int n) throws InterruptedException {
        ProcessInfo p = api.spawn(new SpawnRequest(List.of("python3", "-c", PROGRAM, mode, path, Integer.toString(n)), node,
                null, null, null, null, null));
        Instant deadline = Instant.now().plus(Duration.ofMinutes(30));
        ProcessInfo end = api.process(p.gpid());
        while (!end.state().isTerminal()) {
            if (Instant.now().isAfter(deadline)) {
                api.signal(p.gpid(), "KILL");
                throw new IllegalStateException(mode + " on " + node + " did not end");
            }
            Thread.sleep(50);
            end = api.process(p.gpid());
        }
        String out = output(p.gpid(), "stdout");
        if (end.exitCode() == null || end.exitCode() != 0) {
            throw new IllegalStateException(mode + " " + path + " on " + node + " ended " + end + ": " + out
                    + output(p.gpid(), "stderr"));
        }
        Map<String, String> result = new LinkedHashMap<>();
        for (String line : out.split("\n")) {
            if (line.startsWith("result ")) {
                for (String f : line.substring(7).split(" ")) {
                    int eq = f.indexOf('=');
                    result.put(f.substring(0, eq), f.substring(eq + 1));
                }
            }
        }
        System.out.printf("  %-6s %-5s %s: %s%n", node, mode, path, result);
        return result;
    }

    private String output(int gpid, String stream) {
        StringBuilder out = new StringBuilder();
        for (OutputChunk chunk : api.output(gpid, 0, 0)) {
            if (stream.equals(chunk.stream())) {
                out.append(new String(java.util.Base64.getDecoder().decode(chunk.data()), java.nio.charset.StandardCharsets.UTF_8));
            }
        }
        return out.toString();
    }
}
