package io.unum.e2e;

import io.unum.testing.LocalCluster;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

/**
 * The set-up of an end-to-end test class, so that each test says only what is its own. Given a
 * number of agents, all its tests share one cluster (one control plane) and its {@link #api},
 * started before the first test and closed after the last; without, each test starts its own by
 * assigning {@link #cluster}, closed after it. Either way the gpids a test adds to {@link #started}
 * are killed after it, through whichever control plane still runs.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class ClusterTest {
    private final int sharedAgents;
    LocalCluster cluster;
    Api api;
    final List<Integer> started = new ArrayList<>();
    private Programs programs;

    /** Each test starts its own cluster. */
    ClusterTest() {
        this(0);
    }

    /** All tests share one cluster of one control plane and {@code agents} agents. */
    ClusterTest(int agents) {
        this.sharedAgents = agents;
    }

    @BeforeAll
    void startSharedCluster() {
        if (sharedAgents > 0) {
            cluster = LocalCluster.builder().controlPlanes(1).agents(sharedAgents).build().start();
            api = new Api(cluster.apiUrl(), cluster.adminToken());
        }
    }

    /** Test programs in a directory every user can read, deleted after the last test. */
    Programs programs() {
        if (programs == null) {
            programs = new Programs();
        }
        return programs;
    }

    @AfterEach
    void killWhatThisTestStarted() {
        try {
            if (cluster != null && !started.isEmpty()) {
                Api live = new Api(cluster.liveApi());
                started.forEach(gpid -> live.signal(gpid, "KILL"));
            }
        } finally {
            started.clear();
            if (sharedAgents == 0) {
                closeCluster();
            }
        }
    }

    @AfterAll
    void closeClusterAndPrograms() throws IOException {
        closeCluster();
        if (programs != null) {
            programs.close();
        }
    }

    private void closeCluster() {
        if (cluster != null) {
            cluster.close();
            cluster = null;
        }
    }
}
