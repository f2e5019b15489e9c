package io.unum.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.unum.api.grpc.GetPolicyRequest;
import io.unum.api.grpc.SchedulerEvent;
import io.unum.api.grpc.SchedulerEventType;
import io.unum.api.grpc.SchedulerPolicy;
import io.unum.api.grpc.SchedulerServiceGrpc;
import io.unum.api.grpc.SetPolicyRequest;
import io.unum.api.grpc.SpawnProcessRequest;
import io.unum.api.grpc.ProcessServiceGrpc;
import io.unum.api.grpc.SignalProcessRequest;
import io.unum.api.grpc.WatchEventsRequest;
import io.unum.testing.LocalCluster;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** unum.v1.SchedulerService: the same policy and decisions as REST, the same refusals as gRPC statuses. */
@Timeout(120)
class SchedulerGrpcTest {
    private static LocalCluster cluster;
    private static ManagedChannel channel;

    @BeforeAll
    static void startCluster() {
        cluster = LocalCluster.builder().controlPlanes(1).agents(2).build().start();
        channel = NettyChannelBuilder.forTarget(cluster.controlPlane(0).grpcAddress()).usePlaintext().build();
    }

    @AfterAll
    static void stopCluster() {
        if (channel != null) {
            channel.shutdownNow();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    private static SchedulerServiceGrpc.SchedulerServiceBlockingStub scheduler(String token) {
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
        return SchedulerServiceGrpc.newBlockingStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
                .withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    @Test
    void setGetRefuseAndWatch() {
        SchedulerPolicy stored = scheduler(cluster.adminToken()).setPolicy(SetPolicyRequest.newBuilder()
                .setPolicy(SchedulerPolicy.newBuilder().setPlacement("spread").setMinIntervalSeconds(5)).build()).getPolicy();
        assertEquals("spread", stored.getPlacement());
        assertEquals("none", stored.getBalancing(), "left out: the default");
        assertEquals(5, stored.getMinIntervalSeconds());
        assertEquals(stored.getPlacement(), scheduler(cluster.viewerToken()).getPolicy(GetPolicyRequest.getDefaultInstance())
                .getPolicy().getPlacement());

        StatusRuntimeException bad = assertThrows(StatusRuntimeException.class, () -> scheduler(cluster.adminToken())
                .setPolicy(SetPolicyRequest.newBuilder().setPolicy(SchedulerPolicy.newBuilder().setBalancing("fastest")).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, bad.getStatus().getCode());
        assertTrue(bad.getStatus().getDescription().contains("mosix"), bad.getStatus().getDescription());
        StatusRuntimeException viewer = assertThrows(StatusRuntimeException.class, () -> scheduler(cluster.viewerToken())
                .setPolicy(SetPolicyRequest.newBuilder().setPolicy(SchedulerPolicy.newBuilder().setPlacement("binpack")).build()));
        assertEquals(Status.Code.PERMISSION_DENIED, viewer.getStatus().getCode());
        assertEquals("spread", scheduler(cluster.viewerToken()).getPolicy(GetPolicyRequest.getDefaultInstance())
                .getPolicy().getPlacement(), "nothing was written");

        Metadata admin = new Metadata();
        admin.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + cluster.adminToken());
        ProcessServiceGrpc.ProcessServiceBlockingStub processes = ProcessServiceGrpc.newBlockingStub(channel)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(admin)).withDeadlineAfter(30, TimeUnit.SECONDS);
        int gpid = processes.spawnProcess(SpawnProcessRequest.newBuilder().addArgv("sleep").addArgv("300").build())
                .getProcess().getGpid();
        try {
            List<SchedulerEvent> placed = new ArrayList<>();
            Iterator<io.unum.api.grpc.WatchEventsResponse> stream = scheduler(cluster.viewerToken())
                    .watchEvents(WatchEventsRequest.newBuilder().setFollow(true).build());
            while (placed.isEmpty()) {
                SchedulerEvent e = stream.next().getEvent();
                if (e.getType() == SchedulerEventType.SCHEDULER_EVENT_TYPE_PLACED && e.getGpid() == gpid) {
                    placed.add(e);
                }
            }
            assertEquals("spread", placed.get(0).getPolicy());
            assertTrue(placed.get(0).getReason().startsWith("fewest processes"), placed.get(0).getReason());
        } finally {
            processes.signalProcess(SignalProcessRequest.newBuilder().setGpid(gpid).setSignal("KILL").build());
        }
    }
}
