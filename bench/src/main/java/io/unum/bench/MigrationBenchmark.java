package io.unum.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.unum.api.model.CheckpointInfo;
import io.unum.api.model.OutputChunk;
import io.unum.client.Json;
import io.unum.client.UnumClient;
import io.unum.testing.LocalCluster;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Migration and checkpoint figures on a real local cluster (etcd, one control plane, two agents,
 * real CRIU): freeze and total time of stop-and-copy and post-copy migrations of processes
 * holding 10 MiB, 100 MiB and 1 GiB, beside the time the memory size alone takes over loopback;
 * checkpoint write throughput beside the disk's sequential write speed.
 *
 * <p>Run: {@code ./mvnw -q -DskipTests install && ./mvnw -q -pl bench exec:java -Dbench=MigrationBenchmark}
 * (options as system properties: {@code -Dsizes=10,100,1024 -Drounds=3}).
 */
public final class MigrationBenchmark {
    private static final long MIB = 1 << 20;

    private final UnumClient api;

    private MigrationBenchmark(UnumClient api) {
        this.api = api;
    }

    public static void main(String[] args) throws Exception {
        int[] sizes = Arrays.stream(System.getProperty("sizes", "10,100,1024").split(",")).mapToInt(Integer::parseInt).toArray();
        int rounds = Integer.getInteger("rounds", 3);
        System.out.printf("machine: %d cores, %s, Java %s%n", Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.name") + " " + System.getProperty("os.version"), System.getProperty("java.version"));
        double loopback = loopbackMiBps(1024);
        try (LocalCluster cluster = LocalCluster.builder().controlPlanes(1).agents(2).build().start()) {
            double disk = diskWriteMiBps(cluster.agent(0).stateDir(), 1024);
            System.out.printf("loopback TCP: %.0f MiB/s; sequential write with fsync to the agents' disk: %.0f MiB/s%n",
                    loopback, disk);
            MigrationBenchmark bench = new MigrationBenchmark(cluster.api());
            for (int size : sizes) {
                bench.measure(size, rounds, loopback, disk);
            }
        }
    }

    private void measure(int mib, int rounds, double loopback, double disk) throws Exception {
        String program = String.join("\n",
                "import os, time",
                "blob = bytearray(os.urandom(1 << 20)) * " + mib,
                "print('ready', flush=True)",
                "while True: time.sleep(0.05)");
        JsonNode p = api.raw("POST", "/api/v1/processes", Json.write(Map.of(
                "argv", List.of("python3", "-c", program), "node", "node-1", "capabilities", "+CAN_MIGRATE,+CHECKPOINTABLE"))).requireOk().json();
        int gpid = p.get("gpid").asInt();
        try {
            awaitReady(gpid);
            String node = "node-1";
            for (String mode : List.of("STOP_AND_COPY", "POST_COPY")) {
                List<long[]> runs = new ArrayList<>();
                for (int r = 0; r < rounds; r++) {
                    node = node.equals("node-1") ? "node-2" : "node-1";
                    JsonNode m = migrate(gpid, node, mode);
                    long freeze = m.get("freezeMillis").asLong();
                    long dump = m.get("dumpMillis").asLong();
                    long transfer = m.get("transferMillis").asLong();
                    long restore = m.get("restoreMillis").asLong();
                    runs.add(new long[] {freeze, dump, restore, m.get("totalMillis").asLong(), m.get("imageBytes").asLong(),
                        transfer, freeze - dump - transfer - restore, m.get("preFreezeMillis").asLong(),
                        m.get("postResumeMillis").asLong()});
                }
                long image = runs.get(0)[4];
                // "other" is what the freeze holds beyond CRIU's dump, the transfer and the restore: Unum's own overhead.
                System.out.printf("%-13s %4d MiB resident: image %7.1f MiB; freeze %s ms (dump %s, transfer %s, restore %s, "
                        + "other %s), before it %s ms, after it %s ms, total %s ms; %d MiB over loopback alone: %.0f ms%n",
                        mode.toLowerCase().replace('_', '-'), mib, image / (double) MIB, med(runs, 0), med(runs, 1), med(runs, 5),
                        med(runs, 2), med(runs, 6), med(runs, 7), med(runs, 8), med(runs, 3), mib, mib / loopback * 1000);
            }
            List<long[]> checkpoints = new ArrayList<>();
            for (int r = 0; r < rounds; r++) {
                CheckpointInfo c = api.checkpoint(gpid, false);
                checkpoints.add(new long[] {c.dumpMillis(), c.imageBytes(), c.syncMillis() == null ? 0 : c.syncMillis()});
                api.deleteCheckpoint(c.id());
            }
            long ckMs = median(checkpoints.stream().mapToLong(c -> c[0]).toArray());
            long ckBytes = checkpoints.get(0)[1];
            long syncMs = median(checkpoints.stream().mapToLong(c -> c[2]).toArray());
            System.out.printf("checkpoint    %4d MiB resident: %6.1f MiB written in %d ms = %.0f MiB/s, then synced to disk in "
                    + "%d ms (disk with fsync: %.0f MiB/s)%n", mib, ckBytes / (double) MIB, ckMs,
                    ckBytes / (double) MIB / Math.max(1, ckMs) * 1000, syncMs, disk);
        } finally {
            api.signal(gpid, "KILL");
        }
    }

    private void awaitReady(int gpid) throws Exception {
        Instant deadline = Instant.now().plusSeconds(120);
        while (Instant.now().isBefore(deadline)) {
            for (OutputChunk chunk : api.output(gpid, 0, 0)) {
                if (new String(java.util.Base64.getDecoder().decode(chunk.data())).contains("ready")) {
                    return;
                }
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("process " + gpid + " did not fill its memory within 120 s");
    }

    private JsonNode migrate(int gpid, String node, String mode) throws Exception {
        JsonNode started = api.raw("POST", "/api/v1/processes/" + gpid + "/migrate",
                "{\"node\": \"" + node + "\", \"mode\": \"" + mode + "\"}").requireOk().json();
        String id = started.get("id").asText();
        Instant deadline = Instant.now().plusSeconds(600);
        while (Instant.now().isBefore(deadline)) {
            JsonNode m = api.raw("GET", "/api/v1/migrations/" + id, null).requireOk().json();
            String state = m.get("state").asText();
            if (state.equals("DONE")) {
                return m;
            }
            if (state.equals("ROLLED_BACK") || state.equals("FAILED")) {
                throw new IllegalStateException("migration " + id + " " + state + ": " + m.path("reason").asText());
            }
            Thread.sleep(20);
        }
        throw new IllegalStateException("migration " + id + " did not end within 600 s");
    }

    /** Pushes sizeMiB through a loopback TCP connection: what any transfer between two local agents is bound by. */
    private static double loopbackMiBps(int sizeMiB) throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CompletableFuture<Long> reader = CompletableFuture.supplyAsync(() -> {
                try (Socket s = server.accept(); InputStream in = s.getInputStream()) {
                    byte[] buf = new byte[1 << 16];
                    long n = 0;
                    int r;
                    while ((r = in.read(buf)) > 0) {
                        n += r;
                    }
                    return n;
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            long t0 = System.nanoTime();
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort()); OutputStream out = s.getOutputStream()) {
                byte[] buf = new byte[1 << 20];
                for (int i = 0; i < sizeMiB; i++) {
                    out.write(buf);
                }
            }
            reader.get();
            return sizeMiB / ((System.nanoTime() - t0) / 1e9);
        }
    }

    /** Writes sizeMiB of non-zero data into dir and fsyncs it. */
    private static double diskWriteMiBps(Path dir, int sizeMiB) throws Exception {
        Path f = Files.createTempFile(dir, "bench", ".bin");
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
            ByteBuffer buf = ByteBuffer.allocateDirect((int) MIB);
            while (buf.hasRemaining()) {
                buf.put((byte) 0x5a);
            }
            long t0 = System.nanoTime();
            for (int i = 0; i < sizeMiB; i++) {
                buf.rewind();
                ch.write(buf);
            }
            ch.force(true);
            return sizeMiB / ((System.nanoTime() - t0) / 1e9);
        } finally {
            Files.deleteIfExists(f);
        }
    }

    private static String med(List<long[]> runs, int field) {
        return Long.toString(median(runs.stream().mapToLong(r -> r[field]).toArray()));
    }

    private static long median(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
