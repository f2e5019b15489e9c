package io.unum.controlplane.fs;

import io.grpc.Context;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import io.unum.api.fs.FsPath;
import io.unum.api.grpc.FsServiceGrpc;
import io.unum.api.grpc.GetUsageRequest;
import io.unum.api.grpc.GetUsageResponse;
import io.unum.api.grpc.FsNodeUsage;
import io.unum.api.grpc.FsRepairStatus;
import io.unum.api.grpc.ListDirectoryRequest;
import io.unum.api.grpc.ListDirectoryResponse;
import io.unum.api.grpc.MakeDirectoryRequest;
import io.unum.api.grpc.MakeDirectoryResponse;
import io.unum.api.grpc.ReadFileRequest;
import io.unum.api.grpc.ReadFileResponse;
import io.unum.api.grpc.RemovePathRequest;
import io.unum.api.grpc.RemovePathResponse;
import io.unum.api.grpc.SetReplicasRequest;
import io.unum.api.grpc.SetReplicasResponse;
import io.unum.api.grpc.StatPathRequest;
import io.unum.api.grpc.StatPathResponse;
import io.unum.api.grpc.WriteFileRequest;
import io.unum.api.grpc.WriteFileResponse;
import io.unum.api.model.FsUsage;
import io.unum.controlplane.error.GrpcErrors;
import java.util.Iterator;

/** gRPC face of the cluster file system (`unum fs`). */
@GrpcService
@Blocking
public class FsGrpcService extends FsServiceGrpc.FsServiceImplBase {
    private final FsOperations operations;
    private final FsTransfer transfer;

    public FsGrpcService(FsOperations operations, FsTransfer transfer) {
        this.operations = operations;
        this.transfer = transfer;
    }

    @Override
    public void statPath(StatPathRequest req, StreamObserver<StatPathResponse> out) {
        GrpcErrors.unary(out, () -> {
            FsTree.Entry e = operations.entry(FsOperations.path(req.getPath()));
            return StatPathResponse.newBuilder().setEntry(FsViews.proto(e, operations.chunks(e), operations.nodeTable())).build();
        });
    }

    @Override
    public void listDirectory(ListDirectoryRequest req, StreamObserver<ListDirectoryResponse> out) {
        GrpcErrors.unary(out, () -> {
            FsPath path = FsOperations.path(req.getPath());
            FsTree.Entry dir = operations.entry(path);
            if (!dir.inode().isDirectory()) {
                throw io.unum.controlplane.error.UnumException.invalidState(path + " is not a directory");
            }
            return ListDirectoryResponse.newBuilder().setDirectory(FsViews.proto(dir))
                    .addAllEntries(operations.entries(path).stream().map(e -> FsViews.proto(e).build()).toList()).build();
        });
    }

    /** Relays the agent's messages as fast as this call's client takes them. */
    @Override
    public void readFile(ReadFileRequest req, StreamObserver<ReadFileResponse> out) {
        ServerCallStreamObserver<ReadFileResponse> client = (ServerCallStreamObserver<ReadFileResponse>) out;
        Context.CancellableContext call = Context.current().withCancellation();
        Object readiness = new Object();
        client.setOnReadyHandler(() -> {
            synchronized (readiness) {
                readiness.notifyAll();
            }
        });
        client.setOnCancelHandler(() -> call.cancel(null));
        Context previous = call.attach();
        try {
            FsPath path = FsOperations.path(req.getPath());
            operations.entry(path);
            Iterator<ReadFileResponse> parts = transfer.readParts(path);
            while (parts.hasNext()) {
                ReadFileResponse part = parts.next();
                synchronized (readiness) {
                    while (!client.isReady() && !client.isCancelled()) {
                        readiness.wait(1000);
                    }
                }
                if (client.isCancelled()) {
                    return;
                }
                client.onNext(part);
            }
            client.onCompleted();
        } catch (io.grpc.StatusRuntimeException e) {
            client.onError(GrpcErrors.toStatus(e.getStatus().getCode() == Status.Code.CANCELLED ? e : FsTransfer.refusal(e)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            client.onError(Status.CANCELLED.asRuntimeException());
        } catch (RuntimeException e) {
            client.onError(GrpcErrors.toStatus(e));
        } finally {
            call.detach(previous);
            call.cancel(null);
        }
    }

    @Override
    public StreamObserver<WriteFileRequest> writeFile(StreamObserver<WriteFileResponse> out) {
        return new GrpcWriteRelay((ServerCallStreamObserver<WriteFileResponse>) out, transfer, operations);
    }

    @Override
    public void makeDirectory(MakeDirectoryRequest req, StreamObserver<MakeDirectoryResponse> out) {
        GrpcErrors.unary(out, () -> {
            FsOperations.Made made = operations.makeDirectory(FsOperations.path(req.getPath()),
                    req.getMode() == 0 ? 0755 : req.getMode(), req.getMakeParents(), req.getReplicas());
            return MakeDirectoryResponse.newBuilder().setEntry(FsViews.proto(made.entry())).build();
        });
    }

    @Override
    public void removePath(RemovePathRequest req, StreamObserver<RemovePathResponse> out) {
        GrpcErrors.unary(out, () -> RemovePathResponse.newBuilder()
                .setRemovedEntries(operations.remove(FsOperations.path(req.getPath()), req.getRecursive())).build());
    }

    @Override
    public void setReplicas(SetReplicasRequest req, StreamObserver<SetReplicasResponse> out) {
        GrpcErrors.unary(out, () -> {
            FsTree.GoalChange c = operations.setReplicas(FsOperations.path(req.getPath()), req.getReplicas(), req.getRecursive());
            return SetReplicasResponse.newBuilder().setEntry(FsViews.proto(c.entry())).setChangedEntries(c.changed()).build();
        });
    }

    @Override
    public void getUsage(GetUsageRequest req, StreamObserver<GetUsageResponse> out) {
        GrpcErrors.unary(out, () -> {
            FsUsage u = operations.usage();
            GetUsageResponse.Builder b = GetUsageResponse.newBuilder();
            u.nodes().forEach(n -> b.addNodes(FsNodeUsage.newBuilder().setNode(n.node()).setCapacityBytes(n.capacityBytes())
                    .setFreeBytes(n.freeBytes()).setUsedBytes(n.usedBytes()).setBlocks(n.blocks())
                    .setNodeState(n.nodeState().name())
                    .setReportedAtEpochMs(n.reportedAt() == null ? 0 : n.reportedAt().toEpochMilli())));
            var r = u.repair();
            b.setRepair(FsRepairStatus.newBuilder().setChunks(r.chunks()).setUnderReplicatedChunks(r.underReplicatedChunks())
                    .setUnavailableChunks(r.unavailableChunks()).setReplicasRepaired(r.replicasRepaired())
                    .setRepairsInFlight(r.repairsInFlight())
                    .setLastScanEpochMs(r.lastScanAt() == null ? 0 : r.lastScanAt().toEpochMilli())
                    .setDefaultReplicas(r.defaultReplicas()).setChunkSizeBytes(r.chunkSizeBytes()));
            return b.build();
        });
    }
}
