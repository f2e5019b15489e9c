package io.unum.controlplane.process;

import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.smallrye.mutiny.Multi;
import io.unum.api.grpc.OutputChunk;
import io.unum.api.grpc.OutputStream;
import io.unum.api.grpc.ReadOutputRequest;
import io.unum.api.grpc.ReadOutputResponse;
import io.unum.api.model.ProcessInfo;
import io.unum.controlplane.error.InvalidStateException;
import io.unum.controlplane.error.NodeUnavailableException;
import io.unum.controlplane.node.AgentClients;
import io.unum.controlplane.node.NodeStore;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Captured stdout/stderr, read from the agent of the process's node. The bytes never go
 * through etcd; the control plane only relays the agent's stream.
 */
@ApplicationScoped
public class ProcessOutput {
    private final ProcessStore processes;
    private final NodeStore nodes;
    private final AgentClients agents;

    public ProcessOutput(ProcessStore processes, NodeStore nodes, AgentClients agents) {
        this.processes = processes;
        this.nodes = nodes;
        this.agents = agents;
    }

    /** Output chunks from the given offsets; with follow, until the process ends or the subscriber cancels. */
    public Multi<OutputChunk> read(int gpid, long stdoutOffset, long stderrOffset, boolean follow) {
        ProcessInfo process = processes.get(gpid);
        if (process.node() == null || process.localPid() == 0) {
            throw new InvalidStateException("process " + gpid + " is " + process.state() + " and has no output");
        }
        String address = nodes.get(process.node()).address();
        ReadOutputRequest request = ReadOutputRequest.newBuilder().setGpid(gpid)
                .setStdoutOffset(Math.max(0, stdoutOffset)).setStderrOffset(Math.max(0, stderrOffset))
                .setFollow(follow).build();
        return Multi.createFrom().emitter(emitter -> {
            Context.CancellableContext context = Context.current().withCancellation();
            emitter.onTermination(() -> context.cancel(null));
            context.run(() -> agents.async(address).readOutput(request, new StreamObserver<ReadOutputResponse>() {
                @Override
                public void onNext(ReadOutputResponse value) {
                    emitter.emit(value.getChunk());
                }

                @Override
                public void onError(Throwable t) {
                    emitter.fail(translate(process, t));
                }

                @Override
                public void onCompleted() {
                    emitter.complete();
                }
            }));
        });
    }

    private static RuntimeException translate(ProcessInfo process, Throwable t) {
        if (t instanceof StatusRuntimeException s) {
            if (s.getStatus().getCode() == Status.Code.NOT_FOUND) {
                return new InvalidStateException("node " + process.node() + " no longer holds output of process " + process.gpid());
            }
            if (s.getStatus().getCode() == Status.Code.CANCELLED) {
                return s;
            }
        }
        return new NodeUnavailableException("node " + process.node() + " did not deliver the output: " + t.getMessage(), t);
    }

    public static String streamName(OutputStream stream) {
        return stream == OutputStream.OUTPUT_STREAM_STDERR ? "stderr" : "stdout";
    }
}
