package io.unum.controlplane.checkpoint;

import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import io.unum.api.grpc.Checkpoint;
import io.unum.api.grpc.CheckpointServiceGrpc;
import io.unum.api.grpc.CreateCheckpointRequest;
import io.unum.api.grpc.CreateCheckpointResponse;
import io.unum.api.grpc.DeleteCheckpointRequest;
import io.unum.api.grpc.DeleteCheckpointResponse;
import io.unum.api.grpc.GetCheckpointRequest;
import io.unum.api.grpc.GetCheckpointResponse;
import io.unum.api.grpc.ListCheckpointsRequest;
import io.unum.api.grpc.ListCheckpointsResponse;
import io.unum.api.grpc.RestartCheckpointRequest;
import io.unum.api.grpc.RestartCheckpointResponse;
import io.unum.api.model.CheckpointInfo;
import io.unum.controlplane.error.GrpcErrors;
import io.unum.controlplane.process.ProtoMapper;

/** gRPC face of checkpoints; the same domain service as the REST resources. */
@GrpcService
@Blocking
public class CheckpointGrpcService extends CheckpointServiceGrpc.CheckpointServiceImplBase {
    private final Checkpointer checkpoints;

    public CheckpointGrpcService(Checkpointer checkpoints) {
        this.checkpoints = checkpoints;
    }

    @Override
    public void createCheckpoint(CreateCheckpointRequest r, StreamObserver<CreateCheckpointResponse> response) {
        GrpcErrors.unary(response, () -> CreateCheckpointResponse.newBuilder()
                .setCheckpoint(toProto(checkpoints.create(r.getGpid(), r.getKill()))).build());
    }

    @Override
    public void getCheckpoint(GetCheckpointRequest r, StreamObserver<GetCheckpointResponse> response) {
        GrpcErrors.unary(response, () -> GetCheckpointResponse.newBuilder().setCheckpoint(toProto(checkpoints.get(r.getId()))).build());
    }

    @Override
    public void listCheckpoints(ListCheckpointsRequest r, StreamObserver<ListCheckpointsResponse> response) {
        GrpcErrors.unary(response, () -> ListCheckpointsResponse.newBuilder().addAllCheckpoints(
                checkpoints.list(r.getGpid() == 0 ? null : r.getGpid()).stream().map(CheckpointGrpcService::toProto).toList())
                .build());
    }

    @Override
    public void restartCheckpoint(RestartCheckpointRequest r, StreamObserver<RestartCheckpointResponse> response) {
        GrpcErrors.unary(response, () -> RestartCheckpointResponse.newBuilder().setProcess(ProtoMapper.toProto(
                checkpoints.restart(r.getId(), ProtoMapper.emptyToNull(r.getNode())))).build());
    }

    @Override
    public void deleteCheckpoint(DeleteCheckpointRequest r, StreamObserver<DeleteCheckpointResponse> response) {
        GrpcErrors.unary(response, () -> {
            checkpoints.delete(r.getId());
            return DeleteCheckpointResponse.getDefaultInstance();
        });
    }

    static Checkpoint toProto(CheckpointInfo c) {
        Checkpoint.Builder b = Checkpoint.newBuilder()
                .setId(c.id())
                .setGpid(c.gpid())
                .setNode(c.node())
                .setImageBytes(c.imageBytes())
                .setDumpMillis(c.dumpMillis())
                .setKilled(c.killed());
        if (c.createdAt() != null) {
            b.setCreatedAt(ProtoMapper.timestamp(c.createdAt()));
        }
        if (c.process() != null) {
            b.setProcess(ProtoMapper.toProto(c.process()));
        }
        if (c.treePath() != null) {
            b.setTreePath(c.treePath());
        }
        if (c.syncMillis() != null) {
            b.setSyncMillis(c.syncMillis());
        }
        return b.build();
    }
}
