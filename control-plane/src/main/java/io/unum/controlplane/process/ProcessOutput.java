package io.unum.controlplane.process;

import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.subscription.MultiEmitter;
import io.unum.api.grpc.OutputChunk;
import io.unum.api.grpc.OutputStream;
import io.unum.api.grpc.ReadOutputRequest;
import io.unum.api.grpc.ReadOutputResponse;
import io.unum.api.model.ProcessInfo;
import io.unum.api.model.ProcessState;
import io.unum.controlplane.error.UnumException;
import io.unum.controlplane.node.AgentClients;
import io.unum.controlplane.node.NodeStore;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Captured stdout/stderr, read from the agent of the process's node. The bytes never go
 * through etcd; the control plane only relays the agent's stream. A followed stream outlives
 * migrations and restarts: when the agent's stream ends while the process lives on (elsewhere,
 * or in an image for a moment), the relay waits for the process to settle and continues from
 * the same offsets on its new node, so the follower sees every byte once and in order.
 */
@ApplicationScoped
public class ProcessOutput {
    /** How long a follower waits for a process to settle after its node's stream ended. */
    private static final Duration SETTLE = Duration.ofSeconds(60);
    private static final long POLL_MILLIS = 100;
    /** How often, and how long each time, a relay waits for a just-restarted agent's channel. */
    private static final int MAX_RECONNECTS = 3;
    private static final Duration RECONNECT_WAIT = Duration.ofSeconds(3);

    private final ProcessStore processes;
    private final ProcessLocks locks;
    private final NodeStore nodes;
    private final AgentClients agents;
    private final ScheduledExecutorService waits = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "output-relay");
        t.setDaemon(true);
        return t;
    });

    public ProcessOutput(ProcessStore processes, ProcessLocks locks, NodeStore nodes, AgentClients agents) {
        this.processes = processes;
        this.locks = locks;
        this.nodes = nodes;
        this.agents = agents;
    }

    @PreDestroy
    void stop() {
        waits.shutdownNow();
    }

    /** Output chunks from the given offsets; with follow, until the process ends or the subscriber cancels. */
    public Multi<OutputChunk> read(int gpid, long stdoutOffset, long stderrOffset, boolean follow) {
        ProcessInfo process = processes.get(gpid);
        // An EXITED record may still lack its pid (the exit report can beat the start's write):
        // its node has the output all the same. Only a process that never started has none.
        boolean neverStarted = process.state() == ProcessState.PENDING
                || (process.state() == ProcessState.FAILED && process.localPid() == 0);
        if (process.node() == null || neverStarted) {
            throw UnumException.invalidState("process " + gpid + " is " + process.state() + " and has no output");
        }
        String address = nodes.get(process.node()).address();
        return Multi.createFrom().emitter(emitter -> new Relay(gpid, Math.max(0, stdoutOffset), Math.max(0, stderrOffset),
                follow, emitter).open(process, address));
    }

    /** One reader: relays an agent's stream, and moves on to the next node when the process did. */
    private final class Relay {
        private final int gpid;
        private final boolean follow;
        private final MultiEmitter<? super OutputChunk> emitter;
        private final long[] offsets = new long[2];
        private ProcessInfo source;
        private long settleDeadline;
        private int reconnects;

        Relay(int gpid, long stdoutOffset, long stderrOffset, boolean follow, MultiEmitter<? super OutputChunk> emitter) {
            this.gpid = gpid;
            this.follow = follow;
            this.emitter = emitter;
            offsets[0] = stdoutOffset;
            offsets[1] = stderrOffset;
        }

        void open(ProcessInfo process, String address) {
            source = process;
            ReadOutputRequest request = ReadOutputRequest.newBuilder().setGpid(gpid)
                    .setStdoutOffset(offsets[0]).setStderrOffset(offsets[1]).setFollow(follow).build();
            Context.CancellableContext context = Context.current().withCancellation();
            emitter.onTermination(() -> context.cancel(null));
            context.run(() -> agents.async(address).readOutput(request, new StreamObserver<ReadOutputResponse>() {
                @Override
                public void onNext(ReadOutputResponse value) {
                    OutputChunk chunk = value.getChunk();
                    int i = chunk.getStream() == OutputStream.OUTPUT_STREAM_STDERR ? 1 : 0;
                    offsets[i] = chunk.getOffset() + chunk.getData().size();
                    emitter.emit(chunk);
                }

                @Override
                public void onError(Throwable t) {
                    if (t instanceof StatusRuntimeException s && s.getStatus().getCode() == Status.Code.CANCELLED) {
                        return;
                    }
                    if (t instanceof StatusRuntimeException s && s.getStatus().getCode() == Status.Code.UNAVAILABLE
                            && reconnects++ < MAX_RECONNECTS) {
                        // An agent that has just restarted at the same address fails the first call
                        // on the old channel ("io exception"): wait for the channel, then go on from
                        // the offsets already relayed.
                        waits.execute(() -> {
                            agents.awaitConnected(address, RECONNECT_WAIT);
                            if (!emitter.isCancelled()) {
                                open(source, address);
                            }
                        });
                        return;
                    }
                    boolean moved = t instanceof StatusRuntimeException s && s.getStatus().getCode() == Status.Code.NOT_FOUND;
                    if (follow && moved) {
                        settle();
                    } else {
                        emitter.fail(translate(source, t));
                    }
                }

                @Override
                public void onCompleted() {
                    if (follow) {
                        settle();
                    } else {
                        emitter.complete();
                    }
                }
            }));
        }

        /** The node's stream ended: the process ended, or it moved (or is moving) to another node. */
        private void settle() {
            settleDeadline = System.nanoTime() + SETTLE.toNanos();
            waits.execute(this::check);
        }

        private void check() {
            if (emitter.isCancelled()) {
                return;
            }
            try {
                Optional<ProcessInfo> now = processes.find(gpid);
                boolean busy = locks.holder(gpid).isPresent();
                if (now.isEmpty()) {
                    emitter.complete();
                    return;
                }
                ProcessInfo p = now.get();
                boolean elsewhere = !p.node().equals(source.node()) || p.localPid() != source.localPid();
                if (!busy && elsewhere && p.localPid() != 0) {
                    open(p, nodes.get(p.node()).address());
                    return;
                }
                if (!busy && p.state().isTerminal()) {
                    emitter.complete();
                    return;
                }
                if (System.nanoTime() > settleDeadline) {
                    emitter.complete(); // e.g. the exit report is late; the follower can reconnect
                    return;
                }
                waits.schedule(this::check, POLL_MILLIS, TimeUnit.MILLISECONDS);
            } catch (RuntimeException e) {
                emitter.fail(e);
            }
        }
    }

    private static RuntimeException translate(ProcessInfo process, Throwable t) {
        if (t instanceof StatusRuntimeException s) {
            if (s.getStatus().getCode() == Status.Code.NOT_FOUND) {
                return UnumException.invalidState("node " + process.node() + " no longer holds output of process " + process.gpid());
            }
            if (s.getStatus().getCode() == Status.Code.CANCELLED) {
                return s;
            }
        }
        return UnumException.nodeUnavailable("node " + process.node() + " did not answer: " + t.getMessage(), t);
    }

    public static String streamName(OutputStream stream) {
        return stream == OutputStream.OUTPUT_STREAM_STDERR ? "stderr" : "stdout";
    }
}
