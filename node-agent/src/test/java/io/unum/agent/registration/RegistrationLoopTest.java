package io.unum.agent.registration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unum.agent.process.ProcessSupervisor;
import io.unum.agent.process.StartSpec;
import io.unum.agent.support.Await;
import io.unum.agent.support.FakeRegistry;
import io.unum.agent.support.Supervised;
import io.unum.api.grpc.LocalProcess;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Registration, heartbeats and exit reports against a hand-written fake control plane. */
class RegistrationLoopTest {

    @TempDir
    Path stateDir;

    FakeRegistry registry;
    ProcessSupervisor supervisor;
    ControlPlaneClient client;

    @BeforeEach
    void setUp() throws Exception {
        registry = new FakeRegistry();
        supervisor = ProcessSupervisor.open(stateDir, 1 << 16);
    }

    @AfterEach
    void tearDown() throws Exception {
        Supervised.killAll(supervisor);
        supervisor.close();
        if (client != null) {
            client.close();
        }
        registry.close();
    }

    private RegistrationLoop loop(List<String> endpoints) {
        client = new ControlPlaneClient(endpoints, registry.agentCredentials("n1"), null);
        return new RegistrationLoop(client, supervisor, new NodeIdentity("n1", "127.0.0.1:1", 2, 1000));
    }

    private static int deadPort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void listsProcessesAndForgetsTheOnesTheControlPlaneDoesNotKnow() throws Exception {
        supervisor.start(StartSpec.of(1, "sleep", "60"));
        supervisor.start(StartSpec.of(2, "/bin/sh", "-c", "exit 4"));
        supervisor.start(StartSpec.of(3, "sleep", "60"));
        Supervised.awaitEnded(supervisor, 2);
        registry.unknownGpids = List.of(1, 2);
        try (RegistrationLoop loop = loop(List.of(registry.endpoint()))) {
            loop.start();
            Await.until("registration", () -> !registry.registrations.isEmpty());
            List<LocalProcess> listed = registry.registrations.get(0).getProcessesList();
            assertEquals(List.of(1, 2, 3), listed.stream().map(LocalProcess::getGpid).toList());
            assertTrue(listed.get(0).getRunning());
            assertTrue(listed.get(0).getLocalPid() > 0);
            assertFalse(listed.get(1).getRunning());
            assertEquals(4, listed.get(1).getExitStatus().getCode());
            Await.until("unknown gpids forgotten", () -> supervisor.get(1).isEmpty() && supervisor.get(2).isEmpty()
                    && !Files.exists(stateDir.resolve("processes/1")) && !Files.exists(stateDir.resolve("processes/2")));
            assertTrue(supervisor.get(3).orElseThrow().running(), "known processes are left alone");

            Await.until("a heartbeat with usage", () -> registry.heartbeats.stream()
                    .anyMatch(h -> h.getProcessesCount() == 1 && h.getLoad().getProcessCount() == 1));
            var usage = registry.heartbeats.get(registry.heartbeats.size() - 1).getProcesses(0);
            assertEquals(3, usage.getGpid());
            assertTrue(usage.getRssBytes() > 0);
        }
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void registersAgainWhenTheControlPlaneForgotTheNode() {
        try (RegistrationLoop loop = loop(List.of(registry.endpoint()))) {
            loop.start();
            Await.until("a heartbeat", () -> !registry.heartbeats.isEmpty());
            registry.forgetNode.set(true);
            Await.until("a second registration", () -> registry.registrations.size() >= 2);
        }
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void failsOverToTheNextEndpoint() throws Exception {
        try (RegistrationLoop loop = loop(List.of("127.0.0.1:" + deadPort(), registry.endpoint()))) {
            loop.start();
            Await.until("registration through the second endpoint", () -> !registry.registrations.isEmpty());
            Await.until("heartbeats", () -> registry.heartbeats.size() >= 2);
            assertTrue(loop.isRegistered());
        }
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void retriesExitReportsUntilAcknowledgedAndDoesNotResendAfterRestart() throws Exception {
        client = new ControlPlaneClient(List.of(registry.endpoint()), registry.agentCredentials("n1"), null);
        registry.failExits.set(2);
        try (ExitReporter reporter = new ExitReporter(client, supervisor, "n1")) {
            reporter.start();
            supervisor.start(StartSpec.of(5, "/bin/sh", "-c", "exit 9"));
            Await.until("the exit report", () -> registry.exits.size() == 1);
            assertEquals(9, registry.exits.get(0).getExitStatus().getCode());
            assertEquals("n1", registry.exits.get(0).getNode());
            Await.until("the marker", () -> supervisor.isExitReported(5));
        }
        // An exit that happened while no reporter ran is reported at start; a reported one is not.
        supervisor.start(StartSpec.of(6, "/bin/sh", "-c", "exit 0"));
        Supervised.awaitEnded(supervisor, 6);
        try (ExitReporter again = new ExitReporter(client, supervisor, "n1")) {
            again.start();
            Await.until("the missed exit report", () -> registry.exits.size() == 2);
            assertEquals(6, registry.exits.get(1).getGpid());
        }
        assertEquals(2, registry.exits.size());
    }
}
