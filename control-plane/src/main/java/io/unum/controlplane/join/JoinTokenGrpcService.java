package io.unum.controlplane.join;

import com.google.protobuf.Timestamp;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import io.unum.api.grpc.CreateJoinTokenRequest;
import io.unum.api.grpc.CreateJoinTokenResponse;
import io.unum.api.grpc.DeleteJoinTokenRequest;
import io.unum.api.grpc.DeleteJoinTokenResponse;
import io.unum.api.grpc.JoinToken;
import io.unum.api.grpc.JoinTokenServiceGrpc;
import io.unum.api.grpc.ListJoinTokensRequest;
import io.unum.api.grpc.ListJoinTokensResponse;
import io.unum.api.model.JoinTokenInfo;
import io.unum.api.model.NewJoinToken;
import io.unum.controlplane.error.GrpcErrors;
import java.time.Instant;

/** gRPC face of the join tokens; admin only (GrpcAuthInterceptor). */
@GrpcService
@Blocking
public class JoinTokenGrpcService extends JoinTokenServiceGrpc.JoinTokenServiceImplBase {
    private final JoinTokens tokens;

    public JoinTokenGrpcService(JoinTokens tokens) {
        this.tokens = tokens;
    }

    @Override
    public void createJoinToken(CreateJoinTokenRequest r, StreamObserver<CreateJoinTokenResponse> response) {
        GrpcErrors.unary(response, () -> {
            NewJoinToken created = tokens.create(r.getTtlSeconds() == 0 ? null : r.getTtlSeconds());
            JoinTokenInfo info = new JoinTokenInfo(created.id(), null, created.expiresAt(), null);
            CreateJoinTokenResponse.Builder b = CreateJoinTokenResponse.newBuilder().setJoinToken(toProto(info)).setToken(created.token());
            if (created.caCertHash() != null) {
                b.setCaCertHash(created.caCertHash());
            }
            return b.build();
        });
    }

    @Override
    public void listJoinTokens(ListJoinTokensRequest r, StreamObserver<ListJoinTokensResponse> response) {
        GrpcErrors.unary(response, () -> ListJoinTokensResponse.newBuilder()
                .addAllJoinTokens(tokens.list().stream().map(JoinTokenGrpcService::toProto).toList()).build());
    }

    @Override
    public void deleteJoinToken(DeleteJoinTokenRequest r, StreamObserver<DeleteJoinTokenResponse> response) {
        GrpcErrors.unary(response, () -> {
            tokens.delete(r.getId());
            return DeleteJoinTokenResponse.getDefaultInstance();
        });
    }

    private static JoinToken toProto(JoinTokenInfo t) {
        JoinToken.Builder b = JoinToken.newBuilder().setId(t.id()).setExpiresAt(timestamp(t.expiresAt()));
        if (t.createdAt() != null) {
            b.setCreatedAt(timestamp(t.createdAt()));
        }
        if (t.createdBy() != null) {
            b.setCreatedBy(t.createdBy());
        }
        return b.build();
    }

    private static Timestamp timestamp(Instant at) {
        return Timestamp.newBuilder().setSeconds(at.getEpochSecond()).setNanos(at.getNano()).build();
    }
}
