package io.unum.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.unum.client.Json;
import io.unum.client.RawResponse;
import io.unum.client.UnumClient;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.unum.testing.LocalCluster;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The foundation's figures on a real local cluster (etcd, one control plane, three agents):
 * spawn latency and rate, list latency over 10,000 records, etcd writes per process lifecycle.
 *
 * <p>Run: {@code ./mvnw -q -DskipTests install && ./mvnw -q -pl bench exec:java}
 * (options as system properties: {@code -Dspawns=1000 -Dconcurrency=8 -Drecords=10000}).
 */
public final class ProcessTableBenchmark {
    private static final ObjectMapper JSON = Json.MAPPER;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private final String api;
    private final UnumClient http;
    private final String etcd;
    /** etcd requires the control planes' client certificate; the benchmark borrows it to count writes. */
    private final HttpClient etcdHttp;

    private ProcessTableBenchmark(String api, String token, String etcd, javax.net.ssl.SSLContext etcdTls) {
        this.etcdHttp = HttpClient.newBuilder().sslContext(etcdTls).build();
        this.api = api;
        this.http = new UnumClient(api, token);
        this.etcd = etcd;
    }

    public static void main(String[] args) throws Exception {
        int spawns = Integer.getInteger("spawns", 1000);
        int concurrency = Integer.getInteger("concurrency", 8);
        int records = Integer.getInteger("records", 10_000);
        System.out.printf("machine: %d cores, %s, Java %s%n", Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.name") + " " + System.getProperty("os.version"), System.getProperty("java.version"));
        try (LocalCluster cluster = LocalCluster.builder().controlPlanes(1).agents(3).build().start()) {
            ProcessTableBenchmark bench = new ProcessTableBenchmark(cluster.apiUrl(), cluster.adminToken(), cluster.etcd().endpoint(),
                    cluster.pki().etcdClientContext());
            bench.spawnLatency(50, 1, false);
            System.out.println("-- spawn: API call -> RUNNING record (the call returns once the agent started it)");
            bench.spawnLatency(200, 1, true);
            bench.spawnPhases();
            List<Integer> gpids = bench.spawnLatency(spawns, concurrency, true);
            bench.awaitAllEnded(gpids);
            bench.writesPerLifecycle(gpids.subList(0, Math.min(200, gpids.size())));
            bench.listLatency(records);
        }
    }

    private List<Integer> spawnLatency(int count, int concurrency, boolean report) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(concurrency);
        List<Future<long[]>> futures = new ArrayList<>();
        Instant start = Instant.now();
        for (int i = 0; i < count; i++) {
            futures.add(pool.submit(() -> {
                long t0 = System.nanoTime();
                RawResponse r = http.raw("POST", "/api/v1/processes", "{\"argv\":[\"true\"]}");
                long t1 = System.nanoTime();
                if (r.status() != 201) {
                    throw new IllegalStateException("spawn failed: " + r.status() + " " + r.body());
                }
                return new long[] {t1 - t0, JSON.readTree(r.body()).get("gpid").asLong()};
            }));
        }
        List<Long> latencies = new ArrayList<>();
        List<Integer> gpids = new ArrayList<>();
        for (Future<long[]> f : futures) {
            long[] result = f.get();
            latencies.add(result[0]);
            gpids.add((int) result[1]);
        }
        double seconds = Duration.between(start, Instant.now()).toNanos() / 1e9;
        pool.shutdown();
        if (report) {
            Collections.sort(latencies);
            System.out.printf("spawn x%d, concurrency %d: p50 %.1f ms, p99 %.1f ms, max %.1f ms, %.0f spawns/s%n",
                    count, concurrency, ms(percentile(latencies, 50)), ms(percentile(latencies, 99)),
                    ms(latencies.get(latencies.size() - 1)), count / seconds);
        }
        return gpids;
    }

    /** Where a spawn's time goes, from the control plane's own timers (mean since start). */
    private void spawnPhases() throws Exception {
        String metrics = HTTP.send(HttpRequest.newBuilder(URI.create(api + "/q/metrics")).GET().build(),
                HttpResponse.BodyHandlers.ofString()).body();
        StringBuilder line = new StringBuilder("spawn phases (mean):");
        for (String step : List.of("record", "agent", "running")) {
            double sum = metric(metrics, "unum_spawn_phase_seconds_sum{step=\"" + step + "\"}");
            double count = metric(metrics, "unum_spawn_phase_seconds_count{step=\"" + step + "\"}");
            line.append(String.format(" %s %.1f ms", step, count == 0 ? 0 : sum / count * 1000));
        }
        System.out.println(line + "  (record = PENDING write, agent = StartProcess, running = RUNNING write)");
    }

    private static double metric(String exposition, String name) {
        return exposition.lines().filter(l -> l.startsWith(name)).findFirst()
                .map(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).orElse(0.0);
    }

    private void awaitAllEnded(List<Integer> gpids) throws Exception {
        Instant deadline = Instant.now().plusSeconds(120);
        while (Instant.now().isBefore(deadline)) {
            JsonNode list = JSON.readTree(get("/api/v1/processes?state=EXITED").body());
            java.util.Set<Integer> exited = new java.util.HashSet<>();
            list.forEach(p -> exited.add(p.get("gpid").asInt()));
            if (exited.containsAll(gpids)) {
                return;
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("not every benchmark process reached EXITED within 120 s");
    }

    /** etcd counts every put to a key in its version; a record that went PENDING → RUNNING → EXITED has version 3. */
    private void writesPerLifecycle(List<Integer> gpids) throws Exception {
        long total = 0;
        for (int gpid : gpids) {
            ObjectNode range = JSON.createObjectNode().put("key", b64(String.format("/unum/processes/%010d", gpid)));
            JsonNode kvs = JSON.readTree(etcdCall("/v3/kv/range", range.toString())).path("kvs");
            total += kvs.get(0).get("version").asLong();
        }
        double perProcess = (double) total / gpids.size();
        System.out.printf("etcd writes per lifecycle (spawn -> exit): %.2f record writes + 1/%d gpid-block write = %.2f%n",
                perProcess, 100, perProcess + 0.01);
    }

    private void listLatency(int records) throws Exception {
        // Synthetic RUNNING records on a node that does not exist, written straight into etcd.
        String template = "{\"gpid\":%d,\"node\":\"bench-ghost\",\"localPid\":%d,\"argv\":[\"sleep\",\"1000\"],"
                + "\"cwd\":\"/\",\"user\":\"nobody\",\"envNames\":[],\"state\":\"RUNNING\",\"capabilities\":{\"effective\":[],"
                + "\"permitted\":[\"CAN_MIGRATE\"],\"inheritableEffective\":[],\"inheritablePermitted\":[]},"
                + "\"createdAt\":\"2026-01-01T00:00:00Z\",\"startedAt\":\"2026-01-01T00:00:00Z\"}";
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<?>> writes = new ArrayList<>();
        for (int i = 0; i < records; i++) {
            int gpid = 1_500_000_000 + i;
            writes.add(pool.submit(() -> etcdCall("/v3/kv/put", JSON.createObjectNode()
                    .put("key", b64(String.format("/unum/processes/%010d", gpid)))
                    .put("value", b64(String.format(template, gpid, 1000 + gpid % 30000))).toString())));
        }
        for (Future<?> f : writes) {
            f.get();
        }
        pool.shutdown();
        Instant deadline = Instant.now().plusSeconds(60);
        int size = 0;
        while (Instant.now().isBefore(deadline) && (size = JSON.readTree(get("/api/v1/processes").body()).size()) < records) {
            Thread.sleep(200);
        }
        for (int i = 0; i < 20; i++) {
            get("/api/v1/processes");
        }
        List<Long> latencies = new ArrayList<>();
        long bytes = 0;
        for (int i = 0; i < 100; i++) {
            long t0 = System.nanoTime();
            bytes = get("/api/v1/processes").body().length();
            latencies.add(System.nanoTime() - t0);
        }
        Collections.sort(latencies);
        System.out.printf("GET /api/v1/processes with %d records (%.1f MB JSON): p50 %.1f ms, p99 %.1f ms%n",
                size, bytes / 1e6, ms(percentile(latencies, 50)), ms(percentile(latencies, 99)));
    }


    private RawResponse get(String path) {
        return http.raw("GET", path, null).requireOk();
    }

    private String etcdCall(String path, String body) throws Exception {
        HttpResponse<String> r = etcdHttp.send(HttpRequest.newBuilder(URI.create(etcd + path))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("etcd " + path + ": " + r.statusCode() + " " + r.body());
        }
        return r.body();
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    private static long percentile(List<Long> sorted, int p) {
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }
}
