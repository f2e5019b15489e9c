package io.unum.controlplane.shm;

import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import io.unum.api.grpc.GetSegmentRequest;
import io.unum.api.grpc.GetSegmentResponse;
import io.unum.api.grpc.ListSegmentsRequest;
import io.unum.api.grpc.ListSegmentsResponse;
import io.unum.api.grpc.RemoveSegmentRequest;
import io.unum.api.grpc.RemoveSegmentResponse;
import io.unum.api.grpc.ShmServiceGrpc;
import io.unum.controlplane.error.GrpcErrors;
import java.util.List;

/** gRPC face of `unum ipcs` / `unum ipcrm`. */
@GrpcService
@Blocking
public class ShmGrpcService extends ShmServiceGrpc.ShmServiceImplBase {
    private final ShmSegments segments;
    private final ShmQueries queries;

    public ShmGrpcService(ShmSegments segments, ShmQueries queries) {
        this.segments = segments;
        this.queries = queries;
    }

    @Override
    public void listSegments(ListSegmentsRequest req, StreamObserver<ListSegmentsResponse> out) {
        GrpcErrors.unary(out, () -> ListSegmentsResponse.newBuilder()
                .addAllSegments(segments.list().stream().map(s -> SegmentViews.proto(s, List.of())).toList()).build());
    }

    @Override
    public void getSegment(GetSegmentRequest req, StreamObserver<GetSegmentResponse> out) {
        GrpcErrors.unary(out, () -> {
            StoredSegment s = queries.stored(req.getId());
            return GetSegmentResponse.newBuilder().setSegment(SegmentViews.proto(s, queries.pages(s))).build();
        });
    }

    @Override
    public void removeSegment(RemoveSegmentRequest req, StreamObserver<RemoveSegmentResponse> out) {
        GrpcErrors.unary(out, () -> {
            queries.remove(req.getId());
            StoredSegment s = segments.find(req.getId()).orElse(null);
            RemoveSegmentResponse.Builder b = RemoveSegmentResponse.newBuilder();
            if (s != null) {
                b.setSegment(SegmentViews.proto(s, List.of()));
            }
            return b.build();
        });
    }
}
