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
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;

/** The agent's process calls: a thin translation onto {@link ProcessSupervisor}. */
public final class NodeAgentGrpcService extends NodeAgentServiceGrpc.NodeAgentServiceImplBase {

    private final ProcessSupervisor supervisor;
    private final ExecutorService streamers;
    private final Optional<java.util.function.IntFunction<Map<String, String>>> remoteMemoryEnv;

    /**
     * streamers runs the ReadOutput loops, which can last as long as a process; remoteMemoryEnv
     * gives what a process with USE_REMOTE_MEMORY gets in its environment, by gpid (empty: this
     * node cannot).
     */
    public NodeAgentGrpcService(ProcessSupervisor supervisor, ExecutorService streamers,
            Optional<java.util.function.IntFunction<Map<String, String>>> remoteMemoryEnv) {
        this.supervisor = supervisor;
        this.streamers = streamers;
        this.remoteMemoryEnv = remoteMemoryEnv;
    }

    @Override
    public void startProcess(StartProcessRequest req, StreamObserver<StartProcessResponse> out) {
        GrpcStatuses.answer("StartProcess", out, () -> {
            Map<String, String> env = req.getEnvMap();
            if (req.getRemoteMemory()) {
                env = withRemoteMemory(req.getGpid(), env);
            }
            int pid = supervisor.start(new StartSpec(req.getGpid(), req.getArgvList(), req.getCwd(), req.getUser(),
                    env, req.getUid(), req.getGid(), req.getAllowNewPrivs()));
            return StartProcessResponse.newBuilder().setLocalPid(pid).build();
        });
    }

    /** The preload library goes first, so its shmget is the one the program's calls find. */
    private Map<String, String> withRemoteMemory(int gpid, Map<String, String> env) {
        Map<String, String> added = remoteMemoryEnv.orElseThrow(() -> Status.FAILED_PRECONDITION.withDescription(
                "this node cannot give cluster-wide shared memory (its agent has no libunum-shm.so; see its log): "
                        + "start the process without USE_REMOTE_MEMORY or on another node").asRuntimeException()).apply(gpid);
        Map<String, String> merged = new HashMap<>(env);
        added.forEach((k, v) -> merged.merge(k, v, (user, ours) -> k.equals("LD_PRELOAD") ? ours + " " + user : ours));
        return merged;
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
