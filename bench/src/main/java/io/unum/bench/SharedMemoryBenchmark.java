package io.unum.bench;

import io.unum.api.model.OutputChunk;
import io.unum.api.model.ProcessInfo;
import io.unum.api.model.ShmNodePagesInfo;
import io.unum.api.model.ShmSegmentInfo;
import io.unum.api.model.SpawnRequest;
import io.unum.client.UnumClient;
import io.unum.testing.LocalCluster;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Cluster-wide shared memory (issue 11) on a real local cluster of three agents, each figure next
 * to the same operation on node-local kernel shared memory in the same run. The measuring is done
 * by {@code shm-bench.c} (compiled with cc at the start), run twice per figure: with
 * {@code +USE_REMOTE_MEMORY} and its parties on different nodes, and without the capability with
 * every party on node-1 (the kernel's System V segment). The segment's home is always node-1 (its
 * creator, the "writer" or "a" party).
 * <ul>
 * <li><b>read fault</b>: a writer on node-1 writes N pages; a reader on node-2 then loads one word
 * of each, timing each first touch (even pages, then odd: each touch is one fault, which read-ahead
 * cannot serve);
 * <li><b>write upgrade</b>: the writer on node-1 (the home) writes N pages, 1 reader (node-2) or 2
 * readers (node-2 and node-3) read them all, then the writer stores to each page, timed: every
 * store must invalidate the readers' copies;
 * <li><b>ping-pong</b>: one 8-byte counter, node-1 makes it odd, node-2 even; round trips per second;
 * <li><b>sequential read</b>: node-1 fills a segment of M MiB, node-2 reads it all in order.
 * </ul>
 * Before the figures, one unreported remote read-fault and upgrade round warms the agents' JVMs.
 * The remote runs keep their segments until the driver has read the agents' counters
 * ({@code GET /api/v1/shm/{id}}), then remove them. No figure is asserted.
 *
 * <p>Run: {@code ./mvnw -q -DskipTests install && ./mvnw -q -pl bench exec:java -Dbench=SharedMemoryBenchmark}
 * (options: {@code -Dsamples=2000 -Dupgrades=1000 -Dseconds=5 -Dmib=1024 -DreadLimit=300 -Dwarmup=500}; the
 * reader of the sequential read stops after readLimit seconds and reports what it read).
 */
public final class SharedMemoryBenchmark {
    private static final String REMOTE = "+USE_REMOTE_MEMORY";

    private final UnumClient api;
    private final String binary;
    private final List<String[]> table = new ArrayList<>();

    private SharedMemoryBenchmark(UnumClient api, String binary) {
        this.api = api;
        this.binary = binary;
    }

    /** One party: its role and node. */
    private record Party(String role, String node) {
    }

    /** What one run printed (the result line of the party that measures) and the agents' counters. */
    private record Run(Map<String, String> result, List<ShmNodePagesInfo> pages, double seconds) {
        double get(String k) {
            String v = result.get(k);
            if (v == null) {
                throw new IllegalStateException("no " + k + " in " + result);
            }
            return Double.parseDouble(v);
        }
    }

    public static void main(String[] args) throws Exception {
        int samples = Integer.getInteger("samples", 2000);
        int upgrades = Integer.getInteger("upgrades", 1000);
        int seconds = Integer.getInteger("seconds", 5);
        int mib = Integer.getInteger("mib", 1024);
        int readLimit = Integer.getInteger("readLimit", 300);
        int warmup = Integer.getInteger("warmup", 500);
        System.out.printf("machine: %d cores, %s, kernel %s, Java %s, %s; load average %s%n",
                Runtime.getRuntime().availableProcessors(), cpuModel(), Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip(),
                System.getProperty("java.version"), LocalDate.now(), loadAverage());
        String binary = compile();
        SharedMemoryBenchmark bench;
        try (LocalCluster cluster = LocalCluster.builder().controlPlanes(1).agents(3).build().start()) {
            bench = new SharedMemoryBenchmark(cluster.api(), binary);
            if (warmup > 0) {
                // The agents' JVMs have not run the page paths yet: a round that is not reported.
                System.out.println("warm-up, not reported:");
                bench.run("readfault", List.of(new Party("writer", "node-1"), new Party("reader", "node-2")), warmup, true, List.of());
                bench.run("upgrade", List.of(new Party("writer", "node-1"), new Party("reader", "node-2"),
                        new Party("reader", "node-3")), warmup / 5, true, List.of());
            }
            bench.readFaults(samples);
            bench.upgrades(upgrades, 1);
            bench.upgrades(upgrades, 2);
            bench.pingPong(seconds);
            bench.sequentialRead(mib, readLimit);
            System.out.printf("%nload average at the end: %s; logs in %s%n", loadAverage(), cluster.logDir());
        }
        System.out.println();
        System.out.println("| figure | Unum, across nodes (+USE_REMOTE_MEMORY) | kernel shm, one node |");
        System.out.println("|---|---|---|");
        for (String[] row : bench.table) {
            System.out.println("| " + String.join(" | ", row) + " |");
        }
    }

    private void readFaults(int samples) throws Exception {
        String what = "read fault, first touch of a page just written elsewhere (" + samples + " pages)";
        Run local = run("readfault", List.of(new Party("writer", "node-1"), new Party("reader", "node-1")), samples, false);
        Run remote = run("readfault", List.of(new Party("writer", "node-1"), new Party("reader", "node-2")), samples, true);
        row(what, latencies(remote), latencies(local));
    }

    private void upgrades(int pages, int readers) throws Exception {
        List<Party> local = new ArrayList<>(List.of(new Party("writer", "node-1")));
        List<Party> remote = new ArrayList<>(List.of(new Party("writer", "node-1")));
        for (int i = 0; i < readers; i++) {
            local.add(new Party("reader", "node-1"));
            remote.add(new Party("reader", "node-" + (2 + i)));
        }
        Run l = run("upgrade", local, pages, false);
        Run r = run("upgrade", remote, pages, true);
        row("write upgrade, " + readers + " reader" + (readers > 1 ? "s" : "") + " to invalidate (" + pages + " pages)",
                latencies(r), latencies(l));
    }

    private void pingPong(int seconds) throws Exception {
        Run l = run("pingpong", List.of(new Party("a", "node-1"), new Party("b", "node-1")), seconds, false);
        Run r = run("pingpong", List.of(new Party("a", "node-1"), new Party("b", "node-2")), seconds, true);
        row("ping-pong of one cache line, round trips/s (" + seconds + " s)", trips(r), trips(l));
    }

    private void sequentialRead(int mib, int limitSeconds) throws Exception {
        List<String> limit = List.of("limit=" + limitSeconds);
        Run l = run("seqread", List.of(new Party("writer", "node-1"), new Party("reader", "node-1")), mib, false, limit);
        Run r = run("seqread", List.of(new Party("writer", "node-1"), new Party("reader", "node-2")), mib, true, limit);
        row("sequential read of a " + mib + " MiB segment written on node-1 (reader stops after " + limitSeconds + " s)",
                seq(r), seq(l));
    }

    private static String seq(Run r) {
        return String.format("%.1f MiB/s (%s%.1f MiB in %.1f s; the writer filled it at %.0f MiB/s)", r.get("mib_per_s"),
                r.get("complete") == 1 ? "all " : "only ", r.get("read_mib"), r.get("seconds"), r.get("write_mib_per_s"));
    }

    private static String latencies(Run r) {
        return String.format("p50 %.1f µs, p99 %.1f µs (max %.0f)", r.get("p50_us"), r.get("p99_us"), r.get("max_us"));
    }

    private static String trips(Run r) {
        return String.format("%.0f/s (%.1f µs each)", r.get("per_second"), r.get("round_trip_us"));
    }

    private void row(String figure, String unum, String kernel) {
        table.add(new String[] {figure, unum, kernel});
        System.out.printf("%s: Unum %s; kernel %s%n", figure, unum, kernel);
    }

    /** Starts every party, waits for all to end, and answers the measuring party's result line. */
    private Run run(String mode, List<Party> parties, long arg, boolean remote) throws Exception {
        return run(mode, parties, arg, remote, List.of());
    }

    private Run run(String mode, List<Party> parties, long arg, boolean remote, List<String> options) throws Exception {
        int key = ThreadLocalRandom.current().nextInt(0x10000, 0x3fffffff) * 2;
        List<Integer> gpids = new ArrayList<>();
        long t0 = System.nanoTime();
        for (Party p : parties) {
            List<String> argv = new ArrayList<>(List.of(binary, mode, p.role(), Integer.toString(key),
                    Integer.toString(parties.size()), Long.toString(arg)));
            if (remote) {
                argv.add("keep");
            }
            argv.addAll(options);
            ProcessInfo info = api.spawn(new SpawnRequest(argv, p.node(), null, null, null, null, remote ? REMOTE : null));
            gpids.add(info.gpid());
        }
        Map<String, String> result = null;
        for (int gpid : gpids) {
            ProcessInfo end = awaitEnd(gpid, Duration.ofMinutes(30));
            String out = output(gpid, "stdout");
            if (end.exitCode() == null || end.exitCode() != 0) {
                throw new IllegalStateException(mode + " gpid " + gpid + " ended " + end.state() + " code " + end.exitCode()
                        + " signal " + end.exitSignal() + " " + Optional.ofNullable(end.reason()).orElse("") + ": "
                        + out + output(gpid, "stderr"));
            }
            for (String line : out.split("\n")) {
                if (line.startsWith("result ")) {
                    Map<String, String> fields = new LinkedHashMap<>();
                    for (String f : line.split(" ")) {
                        int eq = f.indexOf('=');
                        if (eq > 0) {
                            fields.put(f.substring(0, eq), f.substring(eq + 1));
                        }
                    }
                    result = result == null ? fields : merge(result, fields);
                }
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.out.printf("  %-9s %-6s %s: %s (%.1f s)%n", mode, remote ? "unum" : "kernel", parties, result, seconds);
        List<ShmNodePagesInfo> pages = List.of();
        if (remote) {
            pages = counters(key);
        }
        return new Run(result, pages, seconds);
    }

    private static Map<String, String> merge(Map<String, String> a, Map<String, String> b) {
        Map<String, String> m = new LinkedHashMap<>(a);
        m.putAll(b);
        return m;
    }

    /** Prints what the agents counted on the data segment, then removes both segments. */
    private List<ShmNodePagesInfo> counters(int key) {
        List<ShmNodePagesInfo> pages = List.of();
        for (ShmSegmentInfo s : api.shmSegments()) {
            if (s.key() == null || (s.key() != key && s.key() != key + 1)) {
                continue;
            }
            if (s.key() == key + 1) {
                ShmSegmentInfo full = api.shmSegment(s.id());
                pages = full.pages();
                for (ShmNodePagesInfo p : pages) {
                    System.out.printf("    data segment %d (home %s) on %s: resident %d, writable %d, read faults %d, write faults %d, "
                            + "pages received %d, sent %d, invalidations %d%s%n", s.id(), full.homeNode(), p.node(), p.residentPages(),
                            p.writablePages(), p.readFaults(), p.writeFaults(), p.pagesReceived(), p.pagesSent(), p.invalidations(),
                            p.error() == null ? "" : ", error " + p.error());
                }
            }
            api.removeShmSegment(s.id());
        }
        return pages;
    }

    private ProcessInfo awaitEnd(int gpid, Duration timeout) throws InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            ProcessInfo p = api.process(gpid);
            if (p.state().isTerminal()) {
                return p;
            }
            Thread.sleep(50);
        }
        api.signal(gpid, "KILL");
        throw new IllegalStateException("gpid " + gpid + " did not end within " + timeout);
    }

    private String output(int gpid, String stream) {
        StringBuilder out = new StringBuilder();
        for (OutputChunk chunk : api.output(gpid, 0, 0)) {
            if (stream.equals(chunk.stream())) {
                out.append(new String(Base64.getDecoder().decode(chunk.data()), StandardCharsets.UTF_8));
            }
        }
        return out.toString();
    }

    /** Compiles shm-bench.c into a directory every user can read: the processes run as uids of their own. */
    private static String compile() throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "unum-shm-bench",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path src = dir.resolve("shm-bench.c");
        try (InputStream in = SharedMemoryBenchmark.class.getResourceAsStream("/shm-bench.c")) {
            Files.write(src, in.readAllBytes());
        }
        Path bin = dir.resolve("shm-bench");
        Process cc = new ProcessBuilder("cc", "-O2", "-Wall", "-o", bin.toString(), src.toString()).inheritIO().start();
        if (cc.waitFor() != 0) {
            throw new IllegalStateException("cc failed on " + src);
        }
        Files.setPosixFilePermissions(bin, PosixFilePermissions.fromString("rwxr-xr-x"));
        return bin.toString();
    }

    private static String cpuModel() throws IOException {
        return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                .map(l -> l.substring(l.indexOf(':') + 1).strip()).findFirst().orElse("unknown CPU");
    }

    private static String loadAverage() throws IOException {
        String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
        return f[0] + " " + f[1] + " " + f[2];
    }
}
