package io.unum.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.unum.api.grpc.AcquirePageRequest;
import io.unum.api.grpc.SegmentShape;
import io.unum.api.grpc.ShmPageServiceGrpc;
import io.unum.api.model.ProcessInfo;
import io.unum.api.model.ProcessState;
import io.unum.client.RawResponse;
import io.unum.testing.AgentProcess;
import io.unum.testing.LocalCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 10: a machine taken out of the cluster keeps a certificate valid for a year. Removing its
 * node revokes it: the control plane's agent port and the other agents refuse it at once.
 */
@Timeout(240)
class NodeRemovalTest extends ClusterTest {

    @Test
    void aRemovedNodesCertificateOpensNothingAnyMore() throws Exception {
        cluster = LocalCluster.builder().controlPlanes(1).agents(2).build().start();
        api = new Api(cluster.apiUrl(), cluster.adminToken());
        ProcessInfo sleeper = api.spawn(new io.unum.api.model.SpawnRequest(List.of("sleep", "300"), "node-2", null, null, null,
                null, null));
        started.add(sleeper.gpid());

        RawResponse busy = api.client().raw("DELETE", "/api/v1/nodes/node-2", null);
        assertEquals(409, busy.status(), busy.body());
        assertTrue(busy.body().contains("gpid " + sleeper.gpid()), busy.body());
        assertEquals(403, api.as(cluster.viewerToken()).client().raw("DELETE", "/api/v1/nodes/node-2", null).status());
        assertEquals(404, api.client().raw("DELETE", "/api/v1/nodes/node-9", null).status());

        AgentProcess node2 = cluster.agent("node-2");
        Path tls = node2.stateDir().resolve("tls");
        ChannelCredentials asNode2 = TlsChannelCredentials.newBuilder()
                .keyManager(tls.resolve("agent.crt").toFile(), tls.resolve("agent.key").toFile())
                .trustManager(tls.resolve("ca.crt").toFile()).build();
        String node1 = cluster.agent("node-1").address();
        assertEquals(Status.Code.OK, agentCall(asNode2, node1), "before: another agent's page calls are let through");

        api.signal(sleeper.gpid(), "KILL");
        api.awaitState(sleeper.gpid(), ProcessState.EXITED);
        RawResponse removed = api.client().raw("DELETE", "/api/v1/nodes/node-2", null);
        assertEquals(204, removed.status(), removed.body());
        assertTrue(api.nodes().stream().noneMatch(n -> n.name().equals("node-2")), "node-2 is gone from the list");
        assertTrue(api.client().audit(20).stream().anyMatch(e -> e.action().name().equals("NODE_REMOVE")
                && "node-2".equals(e.node())), "the removal is audited");

        // node-1's agent hears of the revocation with its next heartbeat and refuses node-2's certificate.
        Api.await(() -> agentCall(asNode2, node1), Status.Code.PERMISSION_DENIED::equals, Duration.ofSeconds(20),
                "node-1 refusing node-2's certificate");
        // node-2's agent, still running with that certificate, cannot register again.
        Api.await(() -> log(node2.logFile()), l -> l.contains("revoked"), Duration.ofSeconds(30),
                "node-2's agent told its certificate is revoked");
        assertTrue(api.nodes().stream().noneMatch(n -> n.name().equals("node-2")), "and it did not come back");
    }

    private static Status.Code agentCall(ChannelCredentials credentials, String address) {
        ManagedChannel channel = Grpc.newChannelBuilder(address, credentials).build();
        try {
            ShmPageServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS).acquire(AcquirePageRequest
                    .newBuilder().setSegment(SegmentShape.newBuilder().setId(1).setSizeBytes(4096).setHomeNode("node-9"))
                    .setNode("node-2").build());
            return Status.Code.OK;
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
        } finally {
            channel.shutdownNow();
        }
    }

    private static String log(Path file) {
        try {
            return Files.readString(file);
        } catch (java.io.IOException e) {
            return "";
        }
    }
}
