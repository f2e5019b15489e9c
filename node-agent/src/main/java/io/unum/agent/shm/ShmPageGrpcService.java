package io.unum.agent.shm;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.unum.api.grpc.AcquirePageRequest;
import io.unum.api.grpc.AcquirePageResponse;
import io.unum.api.grpc.DescribeSegmentPagesRequest;
import io.unum.api.grpc.DropSegmentRequest;
import io.unum.api.grpc.DropSegmentResponse;
import io.unum.api.grpc.InstallPageRequest;
import io.unum.api.grpc.InstallPageResponse;
import io.unum.api.grpc.RevokePageRequest;
import io.unum.api.grpc.RevokePageResponse;
import io.unum.api.grpc.ShmNodePages;
import io.unum.api.grpc.ShmPageServiceGrpc;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/** The page service other agents (and, to describe and drop, the control plane) call. */
public final class ShmPageGrpcService extends ShmPageServiceGrpc.ShmPageServiceImplBase {
    private static final Logger LOG = Logger.getLogger(ShmPageGrpcService.class.getName());
    private final ShmNode node;

    public ShmPageGrpcService(ShmNode node) {
        this.node = node;
    }

    @Override
    public void acquire(AcquirePageRequest req, StreamObserver<AcquirePageResponse> out) {
        answer(out, () -> {
            HomeDirectory.Outcome o = node.acquireAsHome(req);
            return AcquirePageResponse.newBuilder().setErrno(o.errno()).setDetail(o.detail()).build();
        });
    }

    @Override
    public void install(InstallPageRequest req, StreamObserver<InstallPageResponse> out) {
        answer(out, () -> {
            node.installHere(req.getSegment().getId(), req.getPage(), (byte) req.getStateValue(),
                    req.getData().isEmpty() ? null : req.getData().toByteArray(), true);
            return InstallPageResponse.getDefaultInstance();
        });
    }

    @Override
    public void revoke(RevokePageRequest req, StreamObserver<RevokePageResponse> out) {
        answer(out, () -> RevokePageResponse.newBuilder().setData(com.google.protobuf.ByteString.copyFrom(
                node.revokeHere(req.getSegment().getId(), req.getPage(), (byte) req.getToStateValue(), req.getWantData(), true)))
                .build());
    }

    @Override
    public void describeSegmentPages(DescribeSegmentPagesRequest req, StreamObserver<ShmNodePages> out) {
        answer(out, () -> node.describe(req.getId()));
    }

    @Override
    public void dropSegment(DropSegmentRequest req, StreamObserver<DropSegmentResponse> out) {
        answer(out, () -> {
            node.drop(req.getId());
            return DropSegmentResponse.getDefaultInstance();
        });
    }

    private static <T> void answer(StreamObserver<T> out, Supplier<T> call) {
        T value;
        try {
            value = call.get();
        } catch (StatusRuntimeException e) {
            out.onError(e);
            return;
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "page call failed", e);
            out.onError(Status.INTERNAL.withDescription(String.valueOf(e.getMessage())).asRuntimeException());
            return;
        }
        out.onNext(value);
        out.onCompleted();
    }
}
