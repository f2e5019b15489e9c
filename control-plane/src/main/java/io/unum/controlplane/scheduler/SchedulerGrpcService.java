package io.unum.controlplane.scheduler;

import com.google.protobuf.Timestamp;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.subscription.Cancellable;
import io.unum.api.grpc.GetPolicyRequest;
import io.unum.api.grpc.GetPolicyResponse;
import io.unum.api.grpc.SchedulerEventType;
import io.unum.api.grpc.SchedulerServiceGrpc;
import io.unum.api.grpc.SetPolicyRequest;
import io.unum.api.grpc.SetPolicyResponse;
import io.unum.api.grpc.WatchEventsRequest;
import io.unum.api.grpc.WatchEventsResponse;
import io.unum.api.model.SchedulerEvent;
import io.unum.api.model.SchedulerPolicy;
import io.unum.controlplane.error.GrpcErrors;
import java.time.Instant;

/** gRPC face of the scheduler; the same domain services as the REST resource. */
@GrpcService
@Blocking
public class SchedulerGrpcService extends SchedulerServiceGrpc.SchedulerServiceImplBase {
    private final PolicyStore policies;
    private final SchedulerEvents events;

    public SchedulerGrpcService(PolicyStore policies, SchedulerEvents events) {
        this.policies = policies;
        this.events = events;
    }

    @Override
    public void getPolicy(GetPolicyRequest request, StreamObserver<GetPolicyResponse> response) {
        try {
            response.onNext(GetPolicyResponse.newBuilder().setPolicy(toProto(policies.currentModel())).build());
            response.onCompleted();
        } catch (RuntimeException e) {
            response.onError(GrpcErrors.toStatus(e));
        }
    }

    @Override
    public void setPolicy(SetPolicyRequest request, StreamObserver<SetPolicyResponse> response) {
        try {
            SchedulerPolicy stored = policies.set(fromProto(request.getPolicy()), "admin (gRPC)");
            response.onNext(SetPolicyResponse.newBuilder().setPolicy(toProto(stored)).build());
            response.onCompleted();
        } catch (RuntimeException e) {
            response.onError(GrpcErrors.toStatus(e));
        }
    }

    @Override
    public void watchEvents(WatchEventsRequest request, StreamObserver<WatchEventsResponse> response) {
        Cancellable subscription = events.stream(request.getFollow()).subscribe().with(
                e -> response.onNext(WatchEventsResponse.newBuilder().setEvent(toProto(e)).build()),
                error -> response.onError(GrpcErrors.toStatus(error)),
                response::onCompleted);
        if (response instanceof ServerCallStreamObserver<WatchEventsResponse> server) {
            server.setOnCancelHandler(subscription::cancel);
        }
    }

    /** Zero means "the default" in proto3, where a double cannot be absent. */
    static SchedulerPolicy fromProto(io.unum.api.grpc.SchedulerPolicy p) {
        return new SchedulerPolicy(p.getPlacement().isEmpty() ? null : p.getPlacement(),
                p.getBalancing().isEmpty() ? null : p.getBalancing(),
                p.getLoadThreshold() == 0 ? null : p.getLoadThreshold(),
                p.getMinFreeMemoryBytes() == 0 ? null : p.getMinFreeMemoryBytes(),
                p.getMinIntervalSeconds() == 0 ? null : p.getMinIntervalSeconds(),
                p.getProbePeriodSeconds() == 0 ? null : p.getProbePeriodSeconds(), null, null);
    }

    static io.unum.api.grpc.SchedulerPolicy toProto(SchedulerPolicy p) {
        io.unum.api.grpc.SchedulerPolicy.Builder b = io.unum.api.grpc.SchedulerPolicy.newBuilder()
                .setPlacement(p.placement())
                .setBalancing(p.balancing())
                .setLoadThreshold(p.loadThreshold())
                .setMinFreeMemoryBytes(p.minFreeMemoryBytes())
                .setMinIntervalSeconds(p.minIntervalSeconds())
                .setProbePeriodSeconds(p.probePeriodSeconds());
        if (p.updatedAt() != null) {
            b.setUpdatedAt(timestamp(p.updatedAt())).setUpdatedBy(p.updatedBy() == null ? "" : p.updatedBy());
        }
        return b.build();
    }

    static io.unum.api.grpc.SchedulerEvent toProto(SchedulerEvent e) {
        return io.unum.api.grpc.SchedulerEvent.newBuilder()
                .setId(e.id())
                .setAt(timestamp(e.at()))
                .setType(SchedulerEventType.valueOf("SCHEDULER_EVENT_TYPE_" + e.type().name()))
                .setReplica(e.replica())
                .setGpid(e.gpid() == null ? 0 : e.gpid())
                .setFromNode(e.fromNode() == null ? "" : e.fromNode())
                .setToNode(e.toNode() == null ? "" : e.toNode())
                .setPolicy(e.policy() == null ? "" : e.policy())
                .setReason(e.reason() == null ? "" : e.reason())
                .build();
    }

    private static Timestamp timestamp(Instant at) {
        return Timestamp.newBuilder().setSeconds(at.getEpochSecond()).setNanos(at.getNano()).build();
    }
}
