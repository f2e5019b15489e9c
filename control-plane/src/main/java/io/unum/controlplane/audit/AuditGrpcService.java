package io.unum.controlplane.audit;

import com.google.protobuf.Timestamp;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import io.unum.api.grpc.AuditServiceGrpc;
import io.unum.api.grpc.ListAuditEntriesRequest;
import io.unum.api.grpc.ListAuditEntriesResponse;
import io.unum.api.model.AuditEntry;
import io.unum.controlplane.error.GrpcErrors;

/** gRPC face of the audit log; admin only (GrpcAuthInterceptor). */
@GrpcService
@Blocking
public class AuditGrpcService extends AuditServiceGrpc.AuditServiceImplBase {
    private final AuditLog log;

    public AuditGrpcService(AuditLog log) {
        this.log = log;
    }

    @Override
    public void listAuditEntries(ListAuditEntriesRequest r, StreamObserver<ListAuditEntriesResponse> response) {
        GrpcErrors.unary(response, () -> ListAuditEntriesResponse.newBuilder().addAllEntries(
                log.recent(AuditResource.parseLimit(r.getLimit() == 0 ? "100" : Integer.toString(r.getLimit())))
                        .stream().map(AuditGrpcService::toProto).toList()).build());
    }

    private static io.unum.api.grpc.AuditEntry toProto(AuditEntry e) {
        var b = io.unum.api.grpc.AuditEntry.newBuilder().setId(e.id()).setActor(e.actor()).setAction(e.action().name())
                .setAt(Timestamp.newBuilder().setSeconds(e.at().getEpochSecond()).setNanos(e.at().getNano()));
        if (e.gpid() != null) {
            b.setGpid(e.gpid());
        }
        if (e.node() != null) {
            b.setNode(e.node());
        }
        if (e.argv() != null) {
            b.addAllArgv(e.argv());
        }
        if (e.user() != null) {
            b.setUser(e.user());
        }
        if (e.capabilities() != null) {
            b.setCapabilities(e.capabilities());
        }
        if (e.detail() != null) {
            b.setDetail(e.detail());
        }
        return b.build();
    }
}
