package io.unum.controlplane.process;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.subscription.Cancellable;
import io.unum.api.grpc.GetProcessRequest;
import io.unum.api.grpc.GetProcessResponse;
import io.unum.api.grpc.ListProcessesRequest;
import io.unum.api.grpc.ListProcessesResponse;
import io.unum.api.grpc.ProcessServiceGrpc;
import io.unum.api.grpc.SignalProcessRequest;
import io.unum.api.grpc.SignalProcessResponse;
import io.unum.api.grpc.SpawnProcessRequest;
import io.unum.api.grpc.SpawnProcessResponse;
import io.unum.api.grpc.StreamProcessOutputRequest;
import io.unum.api.grpc.StreamProcessOutputResponse;
import io.unum.api.grpc.UpdateCapabilitiesRequest;
import io.unum.api.grpc.UpdateCapabilitiesResponse;
import io.unum.api.model.CapabilitiesUpdate;
import io.unum.api.model.ProcessInfo;
import io.unum.api.model.SpawnRequest;
import io.unum.controlplane.error.GrpcErrors;
import java.util.List;

/** gRPC face of the process table; the same domain services as the REST resource. */
@GrpcService
@Blocking
public class ProcessGrpcService extends ProcessServiceGrpc.ProcessServiceImplBase {
    private final ProcessQueries queries;
    private final ProcessLauncher launcher;
    private final ProcessControl control;
    private final ProcessOutput output;

    public ProcessGrpcService(ProcessQueries queries, ProcessLauncher launcher, ProcessControl control, ProcessOutput output) {
        this.queries = queries;
        this.launcher = launcher;
        this.control = control;
        this.output = output;
    }

    @Override
    public void spawnProcess(SpawnProcessRequest r, StreamObserver<SpawnProcessResponse> response) {
        GrpcErrors.unary(response, () -> {
            ProcessInfo p = launcher.spawn(new SpawnRequest(r.getArgvList(), ProtoMapper.emptyToNull(r.getNode()),
                    r.getParentGpid() == 0 ? null : r.getParentGpid(), ProtoMapper.emptyToNull(r.getCwd()),
                    ProtoMapper.emptyToNull(r.getUser()), r.getEnvMap(), r.getCapabilities(),
                    r.getConstraintsMap().isEmpty() ? null : r.getConstraintsMap(), ProtoMapper.emptyToNull(r.getGroup()),
                    r.hasNoNewPrivs() ? r.getNoNewPrivs() : null));
            return SpawnProcessResponse.newBuilder().setProcess(ProtoMapper.toProto(p)).build();
        });
    }

    @Override
    public void getProcess(GetProcessRequest r, StreamObserver<GetProcessResponse> response) {
        GrpcErrors.unary(response, () -> GetProcessResponse.newBuilder()
                .setProcess(ProtoMapper.toProto(queries.get(r.getGpid()))).build());
    }

    @Override
    public void listProcesses(ListProcessesRequest r, StreamObserver<ListProcessesResponse> response) {
        GrpcErrors.unary(response, () -> {
            ProcessPage page = queries.page(ProtoMapper.emptyToNull(r.getNode()),
                    ProtoMapper.fromProto(r.getState()).orElse(null), ProtoMapper.emptyToNull(r.getUser()),
                    r.getPageSize() == 0 ? Integer.MAX_VALUE : ProcessPage.limit(r.getPageSize()), ProcessPage.afterGpid(r.getPageToken()));
            return ListProcessesResponse.newBuilder().addAllProcesses(page.items().stream().map(ProtoMapper::toProto).toList())
                    .setNextPageToken(page.next().orElse("")).build();
        });
    }

    @Override
    public void signalProcess(SignalProcessRequest r, StreamObserver<SignalProcessResponse> response) {
        GrpcErrors.unary(response, () -> {
            control.signal(r.getGpid(), r.getSignal());
            return SignalProcessResponse.getDefaultInstance();
        });
    }

    @Override
    public void updateCapabilities(UpdateCapabilitiesRequest r, StreamObserver<UpdateCapabilitiesResponse> response) {
        GrpcErrors.unary(response, () -> UpdateCapabilitiesResponse.newBuilder().setCapabilities(ProtoMapper.toProto(
                control.updateCapabilities(r.getGpid(), new CapabilitiesUpdate(r.getEffective(), r.getPermitted(),
                        r.getInheritableEffective(), r.getInheritablePermitted(), r.getForce())))).build());
    }

    @Override
    public void streamProcessOutput(StreamProcessOutputRequest r, StreamObserver<StreamProcessOutputResponse> response) {
        try {
            Cancellable subscription = output.read(r.getGpid(), r.getStdoutOffset(), r.getStderrOffset(), r.getFollow())
                    .subscribe().with(
                            chunk -> response.onNext(StreamProcessOutputResponse.newBuilder().setChunk(chunk).build()),
                            error -> response.onError(GrpcErrors.toStatus(error)),
                            response::onCompleted);
            if (response instanceof ServerCallStreamObserver<StreamProcessOutputResponse> server) {
                server.setOnCancelHandler(subscription::cancel);
            }
        } catch (RuntimeException e) {
            response.onError(GrpcErrors.toStatus(e));
        }
    }
}
