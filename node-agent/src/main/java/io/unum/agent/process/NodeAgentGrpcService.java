package io.unum.agent.process;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.unum.agent.output.OutputStreamer;
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

/** The agent's process calls: a thin translation onto {@link ProcessSupervisor}. */
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
        GrpcStatuses.answer("StartProcess", out, () -> {
            int pid = supervisor.start(new StartSpec(req.getGpid(), req.getArgvList(), req.getCwd(), req.getUser(),
                    req.getEnvMap(), req.getUid(), req.getGid(), req.getAllowNewPrivs()));
            return StartProcessResponse.newBuilder().setLocalPid(pid).build();
        });
    }

    @Override
    public void signalProcess(SignalLocalProcessRequest req, StreamObserver<SignalLocalProcessResponse> out) {
        GrpcStatuses.answer("SignalProcess", out, () -> {
            supervisor.signal(req.getGpid(), req.getSignal());
            return SignalLocalProcessResponse.getDefaultInstance();
        });
    }

    @Override
    public void readOutput(ReadOutputRequest req, StreamObserver<ReadOutputResponse> out) {
        int gpid = req.getGpid();
        var dir = supervisor.procDir(gpid);
        if (dir.isEmpty()) {
            out.onError(Status.NOT_FOUND.withDescription("no process with gpid " + gpid + " on this node")
                    .asRuntimeException());
            return;
        }
        ServerCallStreamObserver<ReadOutputResponse> call = (ServerCallStreamObserver<ReadOutputResponse>) out;
        OutputStreamer streamer = new OutputStreamer(gpid, dir.get().dir(),
                () -> supervisor.get(gpid).map(v -> !v.running()).orElse(true), req, call);
        call.setOnCancelHandler(streamer::cancel);
        streamers.execute(streamer);
    }

    @Override
    public void removeProcess(RemoveProcessRequest req, StreamObserver<RemoveProcessResponse> out) {
        GrpcStatuses.answer("RemoveProcess", out, () -> {
            supervisor.remove(req.getGpid());
            return RemoveProcessResponse.getDefaultInstance();
        });
    }
}
