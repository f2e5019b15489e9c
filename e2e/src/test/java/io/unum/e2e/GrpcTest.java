package io.unum.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.reflection.v1alpha.ServerReflectionGrpc;
import io.grpc.reflection.v1alpha.ServerReflectionRequest;
import io.grpc.reflection.v1alpha.ServerReflectionResponse;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.unum.api.grpc.Checkpoint;
import io.unum.api.grpc.CheckpointServiceGrpc;
import io.unum.api.grpc.CreateCheckpointRequest;
import io.unum.api.grpc.CreateJoinTokenRequest;
import io.unum.api.grpc.CreateJoinTokenResponse;
import io.unum.api.grpc.DeleteJoinTokenRequest;
import io.unum.api.grpc.GetCheckpointRequest;
import io.unum.api.grpc.GetProcessRequest;
import io.unum.api.grpc.JoinTokenServiceGrpc;
import io.unum.api.grpc.MigrateProcessRequest;
import io.unum.api.grpc.MigrationServiceGrpc;
import io.unum.api.grpc.MigrationState;
import io.unum.api.grpc.RestartCheckpointRequest;
import io.unum.api.grpc.ListNodesRequest;
import io.unum.api.grpc.NodeServiceGrpc;
import io.unum.api.grpc.Process;
import io.unum.api.grpc.ProcessServiceGrpc;
import io.unum.api.grpc.ProcessState;
import io.unum.api.grpc.SpawnProcessRequest;
import io.unum.api.grpc.StreamProcessOutputRequest;
import io.unum.api.grpc.StreamProcessOutputResponse;
import io.unum.pki.CaCertHash;
import io.unum.pki.Pem;
import io.unum.testing.LocalCluster;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The unum.v1 gRPC services, discoverable by reflection. */
@Timeout(120)
class GrpcTest {
    private static LocalCluster cluster;
    private static ManagedChannel channel;
    private static Metadata adminHeaders;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = LocalCluster.builder().controlPlanes(1).agents(2).build().start();
        channel = NettyChannelBuilder.forTarget(cluster.controlPlane(0).grpcAddress()).usePlaintext().build();
        adminHeaders = new Metadata();
        adminHeaders.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + cluster.adminToken());
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (channel != null) {
            channel.shutdownNow();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    private static ProcessServiceGrpc.ProcessServiceBlockingStub processes() {
        return ProcessServiceGrpc.newBlockingStub(channel)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(adminHeaders))
                .withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    @Test
    void spawnGetAndStreamOutput() {
        Process p = processes().spawnProcess(SpawnProcessRequest.newBuilder()
                .addArgv("sh").addArgv("-c").addArgv("for i in 1 2 3; do echo line$i; sleep 0.2; done")
                .setCapabilities("+CAN_MIGRATE").build()).getProcess();
        assertTrue(p.getGpid() > 0);
        assertEquals(ProcessState.PROCESS_STATE_RUNNING, p.getState());
        assertTrue(p.getCapabilities().getEffectiveList().contains(io.unum.api.grpc.Capability.CAPABILITY_CAN_MIGRATE));

        StringBuilder out = new StringBuilder();
        Iterator<StreamProcessOutputResponse> stream = processes().streamProcessOutput(
                StreamProcessOutputRequest.newBuilder().setGpid(p.getGpid()).setFollow(true).build());
        stream.forEachRemaining(r -> out.append(r.getChunk().getData().toString(StandardCharsets.UTF_8)));
        assertEquals("line1\nline2\nline3\n", out.toString(), "follow ends when the process ends, with every line once");

        Process ended = Api.await(() -> processes().getProcess(GetProcessRequest.newBuilder().setGpid(p.getGpid()).build())
                .getProcess(), x -> x.getState() == ProcessState.PROCESS_STATE_EXITED, java.time.Duration.ofSeconds(20), "exit");
        assertEquals(0, ended.getExitCode());
    }

    /** The join token comes with the hash a new agent checks the control plane by (--ca-cert-hash), as over REST. */
    @Test
    void aJoinTokenCreatedOverGrpcComesWithTheClusterCasHash() {
        JoinTokenServiceGrpc.JoinTokenServiceBlockingStub tokens = JoinTokenServiceGrpc.newBlockingStub(channel)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(adminHeaders))
                .withDeadlineAfter(30, TimeUnit.SECONDS);
        CreateJoinTokenResponse created = tokens.createJoinToken(CreateJoinTokenRequest.newBuilder().setTtlSeconds(60).build());
        assertEquals(CaCertHash.of(Pem.readCertificate(cluster.pki().caCert())).toString(), created.getCaCertHash());
        tokens.deleteJoinToken(DeleteJoinTokenRequest.newBuilder().setId(created.getJoinToken().getId()).build());
    }

    @Test
    void errorsMapToGrpcStatuses() {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> processes().getProcess(GetProcessRequest.newBuilder().setGpid(1999999999).build()));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
        e = assertThrows(StatusRuntimeException.class, () -> processes().spawnProcess(SpawnProcessRequest.getDefaultInstance()));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("argv"));
        e = assertThrows(StatusRuntimeException.class, () -> processes().spawnProcess(
                SpawnProcessRequest.newBuilder().addArgv("true").setNode("nowhere").build()));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
    }

    @Test
    void migrateStreamsTheRecordUntilDoneAndCheckpointsRestart() {
        Process p = processes().spawnProcess(SpawnProcessRequest.newBuilder().addArgv("sleep").addArgv("300").setNode("node-1")
                .setCapabilities("+CAN_MIGRATE,+CHECKPOINTABLE").build()).getProcess();
        try {
            var migrations = MigrationServiceGrpc.newBlockingStub(channel)
                    .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(adminHeaders))
                    .withDeadlineAfter(60, TimeUnit.SECONDS);
            List<MigrationState> states = new ArrayList<>();
            migrations.migrateProcess(MigrateProcessRequest.newBuilder().setGpid(p.getGpid()).setNode("node-2").build())
                    .forEachRemaining(m -> states.add(m.getState()));
            assertEquals(MigrationState.MIGRATION_STATE_DONE, states.get(states.size() - 1), states.toString());
            assertEquals("node-2", processes().getProcess(GetProcessRequest.newBuilder().setGpid(p.getGpid()).build())
                    .getProcess().getNode());
            StatusRuntimeException same = assertThrows(StatusRuntimeException.class, () -> migrations.migrateProcess(
                    MigrateProcessRequest.newBuilder().setGpid(p.getGpid()).setNode("node-2").build()).hasNext());
            assertEquals(Status.Code.FAILED_PRECONDITION, same.getStatus().getCode());

            var checkpoints = CheckpointServiceGrpc.newBlockingStub(channel)
                    .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(adminHeaders))
                    .withDeadlineAfter(60, TimeUnit.SECONDS);
            Checkpoint c = checkpoints.createCheckpoint(CreateCheckpointRequest.newBuilder().setGpid(p.getGpid()).setKill(true)
                    .build()).getCheckpoint();
            assertEquals("node-2", c.getNode());
            Process again = checkpoints.restartCheckpoint(RestartCheckpointRequest.newBuilder().setId(c.getId())
                    .setNode("node-1").build()).getProcess();
            assertEquals(p.getGpid(), again.getGpid());
            assertEquals("node-1", again.getNode());
            StatusRuntimeException unknown = assertThrows(StatusRuntimeException.class, () -> checkpoints.getCheckpoint(
                    GetCheckpointRequest.newBuilder().setId("c-nope").build()));
            assertEquals(Status.Code.NOT_FOUND, unknown.getStatus().getCode());
        } finally {
            processes().signalProcess(io.unum.api.grpc.SignalProcessRequest.newBuilder().setGpid(p.getGpid()).setSignal("KILL").build());
        }
    }

    @Test
    void nodesAreListed() {
        var nodes = NodeServiceGrpc.newBlockingStub(channel)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(adminHeaders))
                .listNodes(ListNodesRequest.getDefaultInstance()).getNodesList();
        assertEquals(List.of("node-1", "node-2"), nodes.stream().map(io.unum.api.grpc.Node::getName).sorted().toList());
    }

    @Test
    void reflectionListsTheUnumServices() throws Exception {
        CompletableFuture<List<String>> services = new CompletableFuture<>();
        StreamObserver<ServerReflectionRequest> requests = ServerReflectionGrpc.newStub(channel)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(adminHeaders))
                .serverReflectionInfo(new StreamObserver<>() {
                    @Override
                    public void onNext(ServerReflectionResponse value) {
                        List<String> names = new ArrayList<>();
                        value.getListServicesResponse().getServiceList().forEach(s -> names.add(s.getName()));
                        services.complete(names);
                    }

                    @Override
                    public void onError(Throwable t) {
                        services.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                    }
                });
        requests.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
        List<String> names = services.get(20, TimeUnit.SECONDS);
        requests.onCompleted();
        assertTrue(names.containsAll(List.of("unum.v1.ProcessService", "unum.v1.NodeService", "unum.v1.MigrationService",
                "unum.v1.CheckpointService")), names.toString());
    }
}
