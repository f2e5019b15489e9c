package io.unum.agent.grpc;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.unum.agent.process.ProcessSupervisor;
import io.unum.agent.process.StartSpec;
import io.unum.agent.process.SupervisionException;
import io.unum.api.grpc.NodeAgentServiceGrpc;
import io.unum.api.grpc.ReadOutputRequest;
import io.unum.api.grpc.ReadOutputResponse;
import io.unum.api.grpc.RemoveProcessRequest;
import io.unum.api.grpc.RemoveProcessResponse;
import io.unum.api.grpc.SignalLocalProcessRequest;
import io.unum.api.grpc.SignalLocalProcessResponse;
import io.unum.api.grpc.StartProcessRequest;
import io.unum.api.grpc.StartProcessResponse;
import java.util.concurrent.ExecutorService;

/** The agent's gRPC face: a thin translation onto {@link ProcessSupervisor}. */
public final class NodeAgentGrpcService extends NodeAgentServiceGrpc.NodeAgentServiceImplBase {

    private final ProcessSupervisor supervisor;
    private final ExecutorService streamers;

    /** streamers runs the ReadOutput loops, which can last as long as a process. */
    public NodeAgentGrpcService(ProcessSupervisor supervisor, ExecutorService streamers) {
        this.supervisor = supervisor;
        this.streamers = streamers;
    }

    @Override
    public void startProcess(StartProcessRequest req, StreamObserver<StartProcessResponse> out) {
        StartSpec spec = new StartSpec(req.getGpid(), req.getArgvList(), req.getCwd(), req.getUser(), req.getEnvMap());
        try {
            int pid = supervisor.start(spec);
            out.onNext(StartProcessResponse.newBuilder().setLocalPid(pid).build());
            out.onCompleted();
        } catch (SupervisionException e) {
            out.onError(GrpcStatuses.of(e));
        } catch (RuntimeException e) {
            out.onError(GrpcStatuses.internal("StartProcess", e));
        }
    }

    @Override
    public void signalProcess(SignalLocalProcessRequest req, StreamObserver<SignalLocalProcessResponse> out) {
        try {
            supervisor.signal(req.getGpid(), req.getSignal());
            out.onNext(SignalLocalProcessResponse.getDefaultInstance());
            out.onCompleted();
        } catch (SupervisionException e) {
            out.onError(GrpcStatuses.of(e));
        } catch (RuntimeException e) {
            out.onError(GrpcStatuses.internal("SignalProcess", e));
        }
    }

    @Override
    public void readOutput(ReadOutputRequest req, StreamObserver<ReadOutputResponse> out) {
        var dir = supervisor.procDir(req.getGpid());
        if (dir.isEmpty()) {
            out.onError(Status.NOT_FOUND.withDescription("no process with gpid " + req.getGpid() + " on this node")
                    .asRuntimeException());
            return;
        }
        ServerCallStreamObserver<ReadOutputResponse> call = (ServerCallStreamObserver<ReadOutputResponse>) out;
        OutputStreamer streamer = new OutputStreamer(supervisor, req.getGpid(), dir.get(), req, call);
        call.setOnCancelHandler(streamer::cancel);
        streamers.execute(streamer);
    }

    @Override
    public void removeProcess(RemoveProcessRequest req, StreamObserver<RemoveProcessResponse> out) {
        try {
            supervisor.remove(req.getGpid());
            out.onNext(RemoveProcessResponse.getDefaultInstance());
            out.onCompleted();
        } catch (SupervisionException e) {
            out.onError(GrpcStatuses.of(e));
        } catch (RuntimeException e) {
            out.onError(GrpcStatuses.internal("RemoveProcess", e));
        }
    }
}
