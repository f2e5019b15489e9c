package io.unum.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.unum.api.model.SchedulerEvent;
import io.unum.client.EventStream;
import io.unum.client.UnumClient;
import io.unum.testing.LocalCluster;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The scheduler's experiment: N CPU-bound CAN_MIGRATE processes, each with the same fixed amount
 * of work, all started on node-1 of a cluster of agents that each enforce half a core. Once with
 * balancing 'none', once with 'mosix', each on a fresh cluster: wall time until every process
 * ended, for mosix also the time until no node held more than three and the number of
 * migrations. The ideal speed-up is the number of agents (all of this machine's cores). Each
 * change in where the processes run is printed with its time, and the machine's load average
 * before and after, since other work on the machine slows 'mosix' (which needs every core) far
 * more than 'none' (which uses half of one).
 *
 * <p>Run: {@code ./mvnw -q -DskipTests install && ./mvnw -q -pl bench exec:java -Dbench=BalancingBenchmark}
 * (options: {@code -Dprocesses=8 -Dagents=4 -Dcapacity=0.5 -Dwork=4000000}, work being
 * iterations of a shell loop, about 8 s of one core here).
 */
public final class BalancingBenchmark {
    private final int processes = Integer.getInteger("processes", 8);
    private final int agents = Integer.getInteger("agents", 4);
    private final double capacity = Double.parseDouble(System.getProperty("capacity", "0.5"));
    private final long work = Long.getLong("work", 4_000_000);

    public static void main(String[] args) {
        BalancingBenchmark bench = new BalancingBenchmark();
        System.out.printf("machine: %d cores, %s, Java %s%n", Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.name") + " " + System.getProperty("os.version"), System.getProperty("java.version"));
        System.out.printf("%d processes x %d loop iterations on node-1 of %d agents with %.2f cores each%n",
                bench.processes, bench.work, bench.agents, bench.capacity);
        double none = bench.run("none");
        double mosix = bench.run("mosix");
        System.out.printf("speed-up mosix over none: %.2fx (ideal %dx)%n", none / mosix, bench.agents);
    }

    /** One experiment on a fresh cluster; returns the wall time in seconds. */
    private double run(String balancing) {
        try (LocalCluster cluster = LocalCluster.builder().controlPlanes(1).agents(agents).agentCapacity(capacity, 0)
                .build().start()) {
            UnumClient api = cluster.api();
            api.raw("PUT", "/api/v1/scheduler/policy", "{\"placement\": \"least-loaded\", \"balancing\": \"" + balancing
                    + "\", \"loadThreshold\": 0.5, \"minIntervalSeconds\": 20, \"probePeriodSeconds\": 2}").requireOk();
            String argv = "[\"sh\", \"-c\", \"i=0; while [ $i -lt " + work + " ]; do i=$((i+1)); done\"]";
            Instant start = Instant.now();
            List<Integer> gpids = new ArrayList<>();
            for (int i = 0; i < processes; i++) {
                gpids.add(api.raw("POST", "/api/v1/processes", "{\"argv\": " + argv
                        + ", \"node\": \"node-1\", \"capabilities\": \"+CAN_MIGRATE\"}").requireOk().json().path("gpid").asInt());
            }
            System.out.printf("  %s: load average before %s%n", balancing, loadAverage());
            Duration spread = null;
            int maxPerNode = processes;
            Map<String, Integer> shown = Map.of();
            while (true) {
                Map<String, Integer> running = new TreeMap<>();
                int ended = 0;
                for (int gpid : gpids) {
                    JsonNode p = api.raw("GET", "/api/v1/processes/" + gpid, null).requireOk().json();
                    if (p.path("state").asText().equals("RUNNING")) {
                        running.merge(p.path("node").asText(), 1, Integer::sum);
                    } else if (!p.path("state").asText().equals("PENDING")) {
                        ended++;
                    }
                }
                if (!running.equals(shown)) {
                    System.out.printf("  %s: %5.1f s %s, %d ended%n", balancing,
                            Duration.between(start, Instant.now()).toMillis() / 1000.0, running, ended);
                    shown = running;
                }
                int max = running.values().stream().mapToInt(Integer::intValue).max().orElse(0);
                if (spread == null && max <= 3 && ended == 0) {
                    spread = Duration.between(start, Instant.now());
                    maxPerNode = max;
                }
                if (ended == processes) {
                    break;
                }
                sleep(250);
            }
            double wall = Duration.between(start, Instant.now()).toMillis() / 1000.0;
            long migrated = 0;
            long failed = 0;
            try (EventStream<SchedulerEvent> events = api.schedulerEvents(false)) {
                for (SchedulerEvent e = events.next(); e != null; e = events.next()) {
                    migrated += e.type() == SchedulerEvent.Type.MIGRATED ? 1 : 0;
                    failed += e.type() == SchedulerEvent.Type.MIGRATION_FAILED ? 1 : 0;
                }
            }
            for (int gpid : gpids) {
                JsonNode p = api.raw("GET", "/api/v1/processes/" + gpid, null).requireOk().json();
                if (!p.path("state").asText().equals("EXITED") || p.path("exitCode").asInt(-1) != 0) {
                    throw new IllegalStateException("gpid " + gpid + " did not finish its work: " + p);
                }
            }
            System.out.printf("%-6s wall %.1f s, migrations %d (failed %d), time to spread %s; load average after %s%n",
                    balancing, wall, migrated, failed, spread == null ? "never" : String.format("%.1f s (max %d per node)",
                            spread.toMillis() / 1000.0, maxPerNode), loadAverage());
            return wall;
        }
    }

    private static String loadAverage() {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).trim();
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
