package io.unum.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unum.api.model.ProcessInfo;
import io.unum.testing.LocalCluster;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Two control-plane replicas over one etcd hand out gpids that never collide. */
@Timeout(240)
class ConcurrentSpawnTest {
    private static LocalCluster cluster;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = LocalCluster.builder().controlPlanes(2).agents(3).build().start();
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void concurrentSpawnsThroughTwoReplicasGetDistinctGpids() throws Exception {
        List<Api> replicas = List.of(
                new Api(cluster.controlPlane(0).httpUrl(), cluster.adminToken()),
                new Api(cluster.controlPlane(1).httpUrl(), cluster.adminToken()));
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<ProcessInfo>> futures = new ArrayList<>();
        try {
            for (int i = 0; i < 160; i++) {
                Api api = replicas.get(i % 2);
                futures.add(pool.submit(() -> api.spawn(List.of("true"))));
            }
            Set<Integer> gpids = new HashSet<>();
            for (Future<ProcessInfo> f : futures) {
                int gpid = f.get().gpid();
                assertTrue(gpid > 0);
                assertTrue(gpids.add(gpid), "gpid " + gpid + " handed out twice");
            }
            assertEquals(160, gpids.size());
            // Each replica sees what the other wrote.
            Api.await(() -> replicas.get(1).processes().stream().map(ProcessInfo::gpid).toList(),
                    l -> l.containsAll(gpids), java.time.Duration.ofSeconds(10), "replica 2's list");
            Api.await(() -> replicas.get(0).processes().stream().map(ProcessInfo::gpid).toList(),
                    l -> l.containsAll(gpids), java.time.Duration.ofSeconds(10), "replica 1's list");
        } finally {
            pool.shutdownNow();
        }
    }
}
