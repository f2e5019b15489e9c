package io.unum.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.stub.ClientCalls;
import io.unum.api.grpc.AgentRegistryServiceGrpc;
import io.unum.api.grpc.AuditServiceGrpc;
import io.unum.api.grpc.JoinTokenServiceGrpc;
import io.unum.api.grpc.CheckpointServiceGrpc;
import io.unum.api.grpc.MigrationServiceGrpc;
import io.unum.api.grpc.NodeProfileServiceGrpc;
import io.unum.api.grpc.NodeServiceGrpc;
import io.unum.api.grpc.SchedulerServiceGrpc;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.unum.api.grpc.ListProcessesRequest;
import io.unum.api.grpc.ProcessServiceGrpc;
import io.unum.api.grpc.SignalProcessRequest;
import io.unum.api.model.ProcessInfo;
import io.unum.api.model.ProcessState;
import io.unum.client.RawResponse;
import io.unum.testing.LocalCluster;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Every REST and gRPC call needs a token; viewers read, admins change. */
@Timeout(120)
class AuthTest {
    private static LocalCluster cluster;
    private static Api admin;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = LocalCluster.builder().controlPlanes(1).agents(1).build().start();
        admin = new Api(cluster.apiUrl(), cluster.adminToken());
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void restRefusesMissingAndWrongTokens() {
        for (Api api : List.of(admin.as(null), admin.as("wrong-token"), admin.as(cluster.joinToken()))) {
            RawResponse reply = api.get("/api/v1/processes");
            assertEquals(401, reply.status(), reply.body());
            assertTrue(reply.contentType().startsWith("application/problem+json"));
            assertEquals(401, api.post("/api/v1/processes", Map.of("argv", List.of("true"))).status());
        }
    }

    @Test
    void viewerReadsButCannotKillSpawnOrChangeCapabilities() {
        ProcessInfo p = admin.spawn(List.of("sleep", "300"));
        try {
            Api viewer = admin.as(cluster.viewerToken());
            assertEquals(200, viewer.get("/api/v1/processes").status());
            assertEquals(200, viewer.get("/api/v1/nodes").status());
            RawResponse kill = viewer.signal(p.gpid(), "KILL");
            assertEquals(403, kill.status(), kill.body());
            assertTrue(kill.json().path("detail").asText().contains("admin"));
            assertEquals(403, viewer.post("/api/v1/processes", Map.of("argv", List.of("true"))).status());
            assertEquals(403, viewer.patch("/api/v1/processes/" + p.gpid() + "/capabilities",
                    Map.of("effective", "-DISTANT_FORK")).status());
            assertEquals(ProcessState.RUNNING, admin.process(p.gpid()).state(), "the viewer's kill did nothing");
        } finally {
            admin.signal(p.gpid(), "KILL");
        }
    }

    /** One REST operation; adminOnly: a viewer is refused with 403. */
    private record Operation(String method, String path, String body, boolean adminOnly) {
    }

    @Test
    void everyRestOperationChecksItsToken() {
        ProcessInfo p = admin.spawn(List.of("sleep", "300"));
        String gp = "/api/v1/processes/" + p.gpid();
        List<Operation> operations = List.of(
                new Operation("GET", "/api/v1/processes", null, false),
                new Operation("POST", "/api/v1/processes", "{\"argv\": [\"no-such-program-unum\"]}", true),
                new Operation("GET", gp, null, false),
                new Operation("POST", gp + "/signal", "{\"signal\": \"CONT\"}", true),
                new Operation("GET", gp + "/capabilities", null, false),
                new Operation("PATCH", gp + "/capabilities", "{\"effective\": \"+DISTANT_FORK\"}", true),
                new Operation("GET", gp + "/output", null, false),
                new Operation("POST", gp + "/migrate", "{\"node\": \"node-9\"}", true),
                new Operation("GET", gp + "/checkpoints", null, false),
                new Operation("POST", gp + "/checkpoints", "{}", true),
                new Operation("GET", "/api/v1/nodes", null, false),
                new Operation("GET", "/api/v1/nodes/node-1", null, false),
                new Operation("GET", "/api/v1/migrations", null, false),
                new Operation("GET", "/api/v1/migrations/m-none", null, false),
                new Operation("GET", "/api/v1/checkpoints", null, false),
                new Operation("GET", "/api/v1/checkpoints/c-none", null, false),
                new Operation("DELETE", "/api/v1/checkpoints/c-none", null, true),
                new Operation("POST", "/api/v1/checkpoints/c-none/restart", "{}", true),
                new Operation("GET", "/api/v1/scheduler/policy", null, false),
                new Operation("PUT", "/api/v1/scheduler/policy", "{}", true),
                new Operation("GET", "/api/v1/scheduler/nodes", null, false),
                new Operation("GET", "/api/v1/scheduler/status", null, false),
                new Operation("GET", "/api/v1/session", null, false),
                new Operation("GET", "/api/v1/audit", null, true),
                new Operation("GET", "/api/v1/join-tokens", null, true),
                new Operation("POST", "/api/v1/join-tokens", "{\"ttlSeconds\": 60}", true),
                new Operation("DELETE", "/api/v1/join-tokens/zzzzzz", null, true),
                new Operation("GET", "/api/v1/fs/stat/", null, false),
                new Operation("GET", "/api/v1/fs/list/", null, false),
                new Operation("GET", "/api/v1/fs/files/no-such-file", null, false),
                new Operation("GET", "/api/v1/fs/usage", null, false),
                // Refused before any byte moves (no such directory): one agent cannot hold the default two replicas.
                new Operation("PUT", "/api/v1/fs/files/no-such-directory/a.txt", "{}", true),
                new Operation("PUT", "/api/v1/fs/directories/auth-test", "{\"mode\": \"0755\"}", true),
                new Operation("DELETE", "/api/v1/fs/entries/no-such-entry", null, true),
                new Operation("PUT", "/api/v1/fs/replicas/no-such-entry", "{\"replicas\": 1}", true));
        try {
            for (Operation op : operations) {
                for (String token : java.util.Arrays.asList(null, "wrong-token", cluster.joinToken())) {
                    RawResponse reply = admin.as(token).client().raw(op.method(), op.path(), op.body());
                    assertEquals(401, reply.status(), op + " with token " + token + ": " + reply.body());
                    assertTrue(reply.contentType().startsWith("application/problem+json"), op + ": " + reply.contentType());
                }
                RawResponse viewer = admin.as(cluster.viewerToken()).client().raw(op.method(), op.path(), op.body());
                if (op.adminOnly()) {
                    assertEquals(403, viewer.status(), op + " as viewer: " + viewer.body());
                    assertTrue(viewer.contentType().startsWith("application/problem+json"), op + ": " + viewer.contentType());
                } else {
                    assertTrue(viewer.status() < 400 || viewer.status() == 404, op + " as viewer: " + viewer.status() + " "
                            + viewer.body());
                }
                RawResponse asAdmin = admin.client().raw(op.method(), op.path(), op.body());
                assertTrue(asAdmin.status() != 401 && asAdmin.status() != 403 && asAdmin.status() < 500,
                        op + " as admin: " + asAdmin.status() + " " + asAdmin.body());
            }
        } finally {
            admin.signal(p.gpid(), "KILL");
        }
    }

    @Test
    void grpcRefusesMissingWrongAndViewerTokensForChanges() {
        ManagedChannel channel = NettyChannelBuilder.forTarget(cluster.controlPlane(0).grpcAddress()).usePlaintext().build();
        try {
            ProcessServiceGrpc.ProcessServiceBlockingStub anonymous = ProcessServiceGrpc.newBlockingStub(channel);
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                    () -> anonymous.listProcesses(ListProcessesRequest.getDefaultInstance()));
            assertEquals(io.grpc.Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
            e = assertThrows(StatusRuntimeException.class,
                    () -> withToken(anonymous, "wrong").listProcesses(ListProcessesRequest.getDefaultInstance()));
            assertEquals(io.grpc.Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
            ProcessServiceGrpc.ProcessServiceBlockingStub viewer = withToken(anonymous, cluster.viewerToken());
            viewer.listProcesses(ListProcessesRequest.getDefaultInstance());
            e = assertThrows(StatusRuntimeException.class,
                    () -> viewer.signalProcess(SignalProcessRequest.newBuilder().setGpid(1).setSignal("KILL").build()));
            assertEquals(io.grpc.Status.Code.PERMISSION_DENIED, e.getStatus().getCode());
        } finally {
            channel.shutdownNow();
        }
    }

    /** The methods a viewer may not call; everything else a viewer may read. */
    private static final Set<String> ADMIN_ONLY = Set.of("SpawnProcess", "SignalProcess", "UpdateCapabilities",
            "MigrateProcess", "CreateCheckpoint", "RestartCheckpoint", "DeleteCheckpoint", "SetPolicy", "ListAuditEntries",
            "CreateJoinToken", "ListJoinTokens", "DeleteJoinToken", "RemoveSegment", "RemoveNode",
            "WriteFile", "MakeDirectory", "RemovePath", "SetReplicas");
    /** What an admitted call may fail with: anything but a refusal of the caller or a crash. */
    private static final Set<Status.Code> NOT_ADMITTED = Set.of(Status.Code.UNAUTHENTICATED,
            Status.Code.PERMISSION_DENIED, Status.Code.INTERNAL, Status.Code.UNKNOWN, Status.Code.UNIMPLEMENTED);

    @Test
    void everyGrpcMethodChecksItsToken() {
        ManagedChannel channel = NettyChannelBuilder.forTarget(cluster.controlPlane(0).grpcAddress()).usePlaintext().build();
        try {
            for (ServiceDescriptor service : List.of(ProcessServiceGrpc.getServiceDescriptor(),
                    NodeServiceGrpc.getServiceDescriptor(), MigrationServiceGrpc.getServiceDescriptor(),
                    CheckpointServiceGrpc.getServiceDescriptor(), SchedulerServiceGrpc.getServiceDescriptor(),
                    AuditServiceGrpc.getServiceDescriptor(), JoinTokenServiceGrpc.getServiceDescriptor(),
                    io.unum.api.grpc.ShmServiceGrpc.getServiceDescriptor(),
                    AgentRegistryServiceGrpc.getServiceDescriptor(),
                    NodeProfileServiceGrpc.getServiceDescriptor(),
                    io.unum.api.grpc.ShmRegistryServiceGrpc.getServiceDescriptor(),
                    io.unum.api.grpc.FsServiceGrpc.getServiceDescriptor(),
                    io.unum.api.grpc.FsMetadataServiceGrpc.getServiceDescriptor())) {
                boolean agentService = service.getName().equals("unum.v1.AgentRegistryService")
                        || service.getName().equals("unum.v1.NodeProfileService")
                        || service.getName().equals("unum.v1.ShmRegistryService")
                        || service.getName().equals("unum.v1.FsMetadataService");
                for (MethodDescriptor<?, ?> m : service.getMethods()) {
                    String name = m.getFullMethodName();
                    assertEquals(Status.Code.UNAUTHENTICATED, call(channel, m, null), name + " without a token");
                    assertEquals(Status.Code.UNAUTHENTICATED, call(channel, m, "wrong-token"), name + " with a wrong token");
                    if (agentService) {
                        assertEquals(Status.Code.PERMISSION_DENIED, call(channel, m, cluster.viewerToken()), name + " as viewer");
                        assertEquals(Status.Code.PERMISSION_DENIED, call(channel, m, cluster.adminToken()), name + " as admin");
                        // Issue 10: agents call these on the agent port with their certificate; here even the join token is refused.
                        assertEquals(Status.Code.UNAUTHENTICATED, call(channel, m, cluster.joinToken()), name + " with the join token");
                        continue;
                    }
                    assertEquals(Status.Code.PERMISSION_DENIED, call(channel, m, cluster.joinToken()), name + " as an agent");
                    Status.Code viewer = call(channel, m, cluster.viewerToken());
                    if (ADMIN_ONLY.contains(m.getBareMethodName())) {
                        assertEquals(Status.Code.PERMISSION_DENIED, viewer, name + " as viewer");
                    } else {
                        assertFalse(NOT_ADMITTED.contains(viewer), name + " as viewer: " + viewer);
                    }
                    Status.Code admin = call(channel, m, cluster.adminToken());
                    assertFalse(NOT_ADMITTED.contains(admin), name + " as admin: " + admin);
                }
            }
        } finally {
            channel.shutdownNow();
        }
    }

    /** Calls the method with its empty request; the status it ended with (a stream: OK once it answered). */
    @SuppressWarnings("unchecked")
    private static <Q, R> Status.Code call(Channel channel, MethodDescriptor<Q, R> method, String token) {
        Q request = ((MethodDescriptor.PrototypeMarshaller<Q>) method.getRequestMarshaller()).getMessagePrototype();
        Metadata metadata = new Metadata();
        if (token != null) {
            metadata.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
        }
        Channel withToken = ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(metadata));
        CallOptions options = CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS);
        try {
            if (method.getType() == MethodDescriptor.MethodType.UNARY) {
                ClientCalls.blockingUnaryCall(withToken, method, options, request);
            } else {
                // The first message or the end; a follow stream is left to its deadline. A client stream
                // (WriteFile) gets the one message and its end.
                ClientCalls.blockingServerStreamingCall(withToken, method, options, request).hasNext();
            }
            return Status.Code.OK;
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
        }
    }

    static ProcessServiceGrpc.ProcessServiceBlockingStub withToken(ProcessServiceGrpc.ProcessServiceBlockingStub stub, String token) {
        Metadata metadata = new Metadata();
        metadata.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
        return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(metadata));
    }
}
