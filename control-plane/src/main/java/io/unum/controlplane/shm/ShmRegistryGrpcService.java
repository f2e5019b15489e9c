package io.unum.controlplane.shm;

import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.unum.api.grpc.AttachSegmentRequest;
import io.unum.api.grpc.AttachSegmentResponse;
import io.unum.api.grpc.DetachSegmentRequest;
import io.unum.api.grpc.DetachSegmentResponse;
import io.unum.api.grpc.LookupSegmentRequest;
import io.unum.api.grpc.LookupSegmentResponse;
import io.unum.api.grpc.ReportLostPagesRequest;
import io.unum.api.grpc.ReportLostPagesResponse;
import io.unum.api.grpc.ResizeSegmentRequest;
import io.unum.api.grpc.ResizeSegmentResponse;
import io.unum.api.grpc.ShmRegistryServiceGrpc;
import io.unum.api.grpc.UnlinkSegmentRequest;
import io.unum.api.grpc.UnlinkSegmentResponse;
import io.unum.api.model.NodeInfo;
import io.unum.controlplane.error.GrpcErrors;
import io.unum.controlplane.node.AgentPeer;
import io.unum.controlplane.node.NodeStore;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Segment metadata for the agents' preload sessions, on the agent port: each call may speak only
 * for the node its caller's certificate names. Destroyed segments are dropped from the nodes off
 * the caller's path.
 */
@GrpcService
public class ShmRegistryGrpcService extends ShmRegistryServiceGrpc.ShmRegistryServiceImplBase {
    private final ShmSegments segments;
    private final NodeStore nodes;
    private final SegmentPages pages;
    private final ExecutorService drops = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "shm-drop");
        t.setDaemon(true);
        return t;
    });

    public ShmRegistryGrpcService(ShmSegments segments, NodeStore nodes, SegmentPages pages) {
        this.segments = segments;
        this.nodes = nodes;
        this.pages = pages;
    }

    @Override
    public void lookupSegment(LookupSegmentRequest req, StreamObserver<LookupSegmentResponse> out) {
        GrpcErrors.unary(out, () -> {
            AgentPeer.requireNode(req.getNode());
            ShmSegments.Answer a = switch (req.getNameCase()) {
                case KEY -> segments.open(req.getKey(), null, req.getCreate(), req.getExclusive(), req.getSizeBytes(),
                        req.getMode(), req.getGpid(), req.getUid(), req.getGid(), req.getNode(), req.getIncarnation());
                case POSIX_NAME -> segments.open(null, req.getPosixName(), req.getCreate(), req.getExclusive(), 0,
                        req.getMode(), req.getGpid(), req.getUid(), req.getGid(), req.getNode(), req.getIncarnation());
                case ID -> segments.openById(req.getId(), req.getUid(), req.getGid());
                case NAME_NOT_SET -> ShmSegments.Answer.error(ShmSegments.EINVAL);
            };
            LookupSegmentResponse.Builder b = LookupSegmentResponse.newBuilder().setErrno(a.errno());
            if (a.segment() != null) {
                b.setSegment(SegmentViews.proto(a.segment(), List.of())).setHomeAddress(homeAddress(a.segment()));
            }
            return b.build();
        });
    }

    @Override
    public void attachSegment(AttachSegmentRequest req, StreamObserver<AttachSegmentResponse> out) {
        GrpcErrors.unary(out, () -> {
            AgentPeer.requireNode(req.getNode());
            ShmSegments.Answer a = segments.attach(req.getId(), req.getGpid(), req.getNode(), req.getPid(), req.getIncarnation());
            AttachSegmentResponse.Builder b = AttachSegmentResponse.newBuilder().setErrno(a.errno());
            if (a.segment() != null) {
                b.setSegment(SegmentViews.proto(a.segment(), List.of())).setHomeAddress(homeAddress(a.segment()));
            }
            return b.build();
        });
    }

    @Override
    public void detachSegment(DetachSegmentRequest req, StreamObserver<DetachSegmentResponse> out) {
        GrpcErrors.unary(out, () -> {
            AgentPeer.requireNode(req.getNode());
            var destroyed = segments.detach(req.getId(), req.getGpid(), req.getNode(), req.getPid());
            destroyed.ifPresent(s -> drops.execute(() -> pages.drop(s)));
            return DetachSegmentResponse.newBuilder().setDestroyed(destroyed.isPresent()).build();
        });
    }

    @Override
    public void unlinkSegment(UnlinkSegmentRequest req, StreamObserver<UnlinkSegmentResponse> out) {
        GrpcErrors.unary(out, () -> {
            AgentPeer.requireNode(req.getNode());
            ShmSegments.Answer a = req.hasPosixName() ? segments.unlinkAs(req.getPosixName(), req.getUid())
                    : segments.removeAs(req.getId(), req.getUid());
            boolean destroyed = a.segment() != null && segments.isDestroyed(a.segment().id());
            if (destroyed) {
                drops.execute(() -> pages.drop(a.segment()));
            }
            return UnlinkSegmentResponse.newBuilder().setErrno(a.errno()).setDestroyed(destroyed).build();
        });
    }

    @Override
    public void resizeSegment(ResizeSegmentRequest req, StreamObserver<ResizeSegmentResponse> out) {
        GrpcErrors.unary(out, () -> {
            AgentPeer.requireNode(req.getNode());
            ShmSegments.Answer a = segments.resize(req.getId(), req.getSizeBytes());
            ResizeSegmentResponse.Builder b = ResizeSegmentResponse.newBuilder().setErrno(a.errno());
            if (a.segment() != null) {
                b.setSegment(SegmentViews.proto(a.segment(), List.of()));
            }
            return b.build();
        });
    }

    @Override
    public void reportLostPages(ReportLostPagesRequest req, StreamObserver<ReportLostPagesResponse> out) {
        GrpcErrors.unary(out, () -> {
            AgentPeer.requireNode(req.getNode());
            segments.lost(req.getId(), req.getLostPages(), req.getReason());
            return ReportLostPagesResponse.getDefaultInstance();
        });
    }

    @Override
    public void forgetEarlierStarts(io.unum.api.grpc.ForgetEarlierStartsRequest req,
            StreamObserver<io.unum.api.grpc.ForgetEarlierStartsResponse> out) {
        GrpcErrors.unary(out, () -> {
            AgentPeer.requireNode(req.getNode());
            segments.forgetEarlierStarts(req.getNode(), req.getIncarnation()).forEach(s -> drops.execute(() -> pages.drop(s)));
            return io.unum.api.grpc.ForgetEarlierStartsResponse.getDefaultInstance();
        });
    }

    private String homeAddress(StoredSegment s) {
        return nodes.find(s.homeNode()).map(NodeInfo::address).orElse("");
    }
}
