package io.unum.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.MetadataUtils;
import io.unum.api.grpc.AuditServiceGrpc;
import io.unum.api.grpc.ListAuditEntriesRequest;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.unum.api.grpc.ProcessServiceGrpc;
import io.unum.api.grpc.SpawnProcessRequest;
import io.unum.api.model.AuditAction;
import io.unum.api.model.AuditEntry;
import io.unum.api.model.CapabilitiesUpdate;
import io.unum.api.model.ProcessInfo;
import io.unum.api.model.SpawnRequest;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Spawning as root, or with capabilities, is for admins only and leaves an audit entry saying
 * who, when and what; so do signals, capability changes and migrations. Only admins read the log.
 */
@Timeout(120)
class AuditTest extends ClusterTest {
    AuditTest() {
        super(1);
    }

    private ProcessInfo spawn(SpawnRequest request) {
        ProcessInfo p = api.spawn(request);
        started.add(p.gpid());
        return p;
    }

    private Optional<AuditEntry> entryFor(int gpid, AuditAction action) {
        return api.client().audit(1000).stream().filter(e -> e.gpid() != null && e.gpid() == gpid
                && e.action() == action).findFirst();
    }

    @Test
    void rootSpawnWithCapabilitiesIsRecordedWithWhoWhenAndWhat() {
        ProcessInfo p = spawn(new SpawnRequest(List.of("sleep", "300"), null, null, null, "root", null, "+CAN_MIGRATE"));
        AuditEntry e = entryFor(p.gpid(), AuditAction.PRIVILEGED_SPAWN).orElseThrow(
                () -> new AssertionError("no audit entry for the root spawn " + p.gpid()));
        assertTrue(e.actor().startsWith("admin (token sha256:"), e.actor());
        assertFalse(e.actor().contains(cluster.adminToken()), "the log names the token by fingerprint only");
        assertEquals(List.of("sleep", "300"), e.argv());
        assertEquals("root", e.user());
        assertEquals("+CAN_MIGRATE", e.capabilities());
        assertEquals(p.node(), e.node());
        assertTrue(e.at() != null && !e.at().isAfter(java.time.Instant.now()), String.valueOf(e.at()));
    }

    @Test
    void ordinarySpawnIsNotAuditedButSignalsAndCapabilityChangesAre() {
        ProcessInfo p = spawn(new SpawnRequest(List.of("sleep", "300"), null, null, null, null, null, null));
        assertTrue(entryFor(p.gpid(), AuditAction.PRIVILEGED_SPAWN).isEmpty(), "a spawn as nobody is not privileged");
        api.client().updateCapabilities(p.gpid(), new CapabilitiesUpdate("-DISTANT_FORK", null, null, null, null));
        assertEquals("effective -DISTANT_FORK", entryFor(p.gpid(), AuditAction.CAPABILITIES).orElseThrow().capabilities());
        assertEquals(202, api.signal(p.gpid(), "TERM").status());
        assertEquals("signal TERM", entryFor(p.gpid(), AuditAction.SIGNAL).orElseThrow().detail());
    }

    @Test
    void grpcSpawnAsRootIsRecordedWithItsCaller() {
        ManagedChannel channel = NettyChannelBuilder.forTarget(cluster.controlPlane(0).grpcAddress()).usePlaintext().build();
        try {
            var stub = withToken(ProcessServiceGrpc.newBlockingStub(channel), cluster.adminToken());
            int gpid = stub.spawnProcess(SpawnProcessRequest.newBuilder().addArgv("sleep").addArgv("300").setUser("root")
                    .build()).getProcess().getGpid();
            started.add(gpid);
            AuditEntry e = entryFor(gpid, AuditAction.PRIVILEGED_SPAWN).orElseThrow();
            assertTrue(e.actor().startsWith("admin (token sha256:"), e.actor());
            assertEquals("root", e.user());

            var audit = AuditServiceGrpc.newBlockingStub(channel);
            var entries = withToken(audit, cluster.adminToken()).listAuditEntries(ListAuditEntriesRequest.newBuilder()
                    .setLimit(1000).build()).getEntriesList();
            assertTrue(entries.stream().anyMatch(x -> x.getGpid() == gpid && x.getAction().equals("PRIVILEGED_SPAWN")
                    && x.getUser().equals("root") && x.getArgvList().equals(List.of("sleep", "300"))), entries.toString());
            StatusRuntimeException denied = assertThrows(StatusRuntimeException.class,
                    () -> withToken(audit, cluster.viewerToken()).listAuditEntries(ListAuditEntriesRequest.getDefaultInstance()));
            assertEquals(Status.Code.PERMISSION_DENIED, denied.getStatus().getCode());
        } finally {
            channel.shutdownNow();
        }
    }

    private static <S extends AbstractStub<S>> S withToken(S stub, String token) {
        Metadata metadata = new Metadata();
        metadata.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
        return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(metadata));
    }

    @Test
    void onlyAdminsReadTheLog() {
        RawHttpAssert.problem(api.as(cluster.viewerToken()).get("/api/v1/audit"), 403, "admin");
        RawHttpAssert.problem(api.as(null).get("/api/v1/audit"), 401, "token");
        RawHttpAssert.problem(api.get("/api/v1/audit?limit=0"), 400, "limit");
        assertEquals(200, api.get("/api/v1/audit").status());
    }
}
