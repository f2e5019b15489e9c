package io.unum.agent.shm;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.unum.api.grpc.AcquirePageRequest;
import io.unum.api.grpc.AcquirePageResponse;
import io.unum.api.grpc.DescribeSegmentPagesRequest;
import io.unum.api.grpc.DropSegmentRequest;
import io.unum.api.grpc.DropSegmentResponse;
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
            AcquirePageResponse.Builder b = AcquirePageResponse.newBuilder().setErrno(o.errno()).setDetail(o.detail());
            o.grants().forEach(g -> b.addGrants(g.toProto()));
            return b.build();
        });
    }

    @Override
    public void revoke(RevokePageRequest req, StreamObserver<RevokePageResponse> out) {
        answer(out, () -> {
            byte[] data = node.revokeHere(req.getSegment().getId(), req.getPage(), req.getGrant(), (byte) req.getToStateValue(),
                    req.getWantData(), true);
            return data == null ? RevokePageResponse.newBuilder().setUnchanged(req.getWantData()).build()
                    : RevokePageResponse.newBuilder().setData(ByteString.copyFrom(data)).build();
        });
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
