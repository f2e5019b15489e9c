package io.unum.controlplane.migration;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.subscription.Cancellable;
import io.unum.api.grpc.GetMigrationRequest;
import io.unum.api.grpc.GetMigrationResponse;
import io.unum.api.grpc.ListMigrationsRequest;
import io.unum.api.grpc.ListMigrationsResponse;
import io.unum.api.grpc.MigrateProcessRequest;
import io.unum.api.grpc.Migration;
import io.unum.api.grpc.MigrationServiceGrpc;
import io.unum.api.model.MigrationInfo;
import io.unum.api.model.MigrationMode;
import io.unum.controlplane.audit.AuditLog;
import io.unum.controlplane.error.GrpcErrors;
import io.unum.controlplane.process.ProtoMapper;

/** gRPC face of migrations; the same domain services as the REST resources. */
@GrpcService
@Blocking
public class MigrationGrpcService extends MigrationServiceGrpc.MigrationServiceImplBase {
    private final MigrationDriver migrations;
    private final MigrationStore store;
    private final MigrationFollowers followers;

    private final AuditLog audit;

    public MigrationGrpcService(MigrationDriver migrations, MigrationStore store, MigrationFollowers followers, AuditLog audit) {
        this.audit = audit;
        this.migrations = migrations;
        this.store = store;
        this.followers = followers;
    }

    @Override
    public void migrateProcess(MigrateProcessRequest r, StreamObserver<Migration> response) {
        try {
            MigrationInfo m = migrations.start(r.getGpid(), r.getNode(),
                    r.getMode() == io.unum.api.grpc.MigrationMode.MIGRATION_MODE_POST_COPY ? MigrationMode.POST_COPY
                            : MigrationMode.STOP_AND_COPY);
            audit.migration(m);
            Cancellable subscription = followers.follow(m.id()).subscribe().with(
                    record -> response.onNext(toProto(record)),
                    error -> response.onError(GrpcErrors.toStatus(error)),
                    response::onCompleted);
            if (response instanceof ServerCallStreamObserver<Migration> server) {
                server.setOnCancelHandler(subscription::cancel);
            }
        } catch (RuntimeException e) {
            response.onError(GrpcErrors.toStatus(e));
        }
    }

    @Override
    public void getMigration(GetMigrationRequest r, StreamObserver<GetMigrationResponse> response) {
        GrpcErrors.unary(response, () -> GetMigrationResponse.newBuilder().setMigration(toProto(
                store.get(r.getId()))).build());
    }

    @Override
    public void listMigrations(ListMigrationsRequest r, StreamObserver<ListMigrationsResponse> response) {
        GrpcErrors.unary(response, () -> ListMigrationsResponse.newBuilder().addAllMigrations(store.list().stream()
                .filter(m -> r.getGpid() == 0 || m.gpid() == r.getGpid()).map(MigrationGrpcService::toProto).toList())
                .build());
    }

    static Migration toProto(MigrationInfo m) {
        Migration.Builder b = Migration.newBuilder()
                .setId(m.id())
                .setGpid(m.gpid())
                .setSource(m.source())
                .setTarget(m.target())
                .setState(io.unum.api.grpc.MigrationState.valueOf("MIGRATION_STATE_" + m.state().name()))
                .setMode(io.unum.api.grpc.MigrationMode.valueOf("MIGRATION_MODE_" + m.mode().name()))
                .setReason(ProtoMapper.nullToEmpty(m.reason()))
                .setImageBytes(m.imageBytes() == null ? 0 : m.imageBytes())
                .setBytesTransferred(m.bytesTransferred() == null ? 0 : m.bytesTransferred())
                .setFreezeMillis(m.freezeMillis() == null ? 0 : m.freezeMillis())
                .setPreFreezeMillis(orZero(m.preFreezeMillis()))
                .setDumpMillis(orZero(m.dumpMillis()))
                .setTransferMillis(orZero(m.transferMillis()))
                .setRestoreMillis(orZero(m.restoreMillis()))
                .setPostResumeMillis(orZero(m.postResumeMillis()))
                .setTotalMillis(m.totalMillis() == null ? 0 : m.totalMillis());
        if (m.createdAt() != null) {
            b.setCreatedAt(ProtoMapper.timestamp(m.createdAt()));
        }
        if (m.updatedAt() != null) {
            b.setUpdatedAt(ProtoMapper.timestamp(m.updatedAt()));
        }
        return b.build();
    }

    private static long orZero(Long millis) {
        return millis == null ? 0 : millis;
    }
}
