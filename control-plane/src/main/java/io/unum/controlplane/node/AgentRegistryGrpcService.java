package io.unum.controlplane.node;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.unum.api.grpc.AgentRegistryServiceGrpc;
import io.unum.api.grpc.EnrollRequest;
import io.unum.api.grpc.EnrollResponse;
import io.unum.api.grpc.HeartbeatRequest;
import io.unum.api.grpc.HeartbeatResponse;
import io.unum.api.grpc.RegisterAgentRequest;
import io.unum.api.grpc.RegisterAgentResponse;
import io.unum.api.grpc.ReportProcessExitRequest;
import io.unum.api.grpc.ReportProcessExitResponse;
import io.unum.controlplane.error.GrpcErrors;
import io.unum.controlplane.join.JoinTokenException;
import io.unum.controlplane.join.JoinTokens;
import jakarta.annotation.PreDestroy;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * The agents' side of the protocol: enrol, register, heartbeat, report exits. Served on the agent
 * port ({@link AgentApiServer}): Enroll checks the join token; every other call may speak only for
 * the node its caller's certificate names ({@link AgentPeer#requireNode}). These calls run on a pool
 * of their own rather than Quarkus's worker pool: under a flood of API requests a heartbeat that
 * queued behind them would arrive late, and the leader would declare a healthy node DOWN.
 */
@GrpcService
public class AgentRegistryGrpcService extends AgentRegistryServiceGrpc.AgentRegistryServiceImplBase {
    private static final int THREADS = 4;
    private final NodeMembership membership;
    private final NodeProcesses lifecycle;
    private final NodeConfig config;
    private final AgentCertificates certificates;
    private final JoinTokens joinTokens;
    private final CertificateRevocations revocations;
    private final ExecutorService agentCalls = Executors.newFixedThreadPool(THREADS, r -> {
        Thread t = new Thread(r, "agent-registry");
        t.setDaemon(true);
        return t;
    });

    public AgentRegistryGrpcService(NodeMembership membership, NodeProcesses lifecycle, NodeConfig config,
            AgentCertificates certificates, JoinTokens joinTokens, CertificateRevocations revocations) {
        this.revocations = revocations;
        this.joinTokens = joinTokens;
        this.membership = membership;
        this.lifecycle = lifecycle;
        this.config = config;
        this.certificates = certificates;
    }

    @Override
    public void enroll(EnrollRequest request, StreamObserver<EnrollResponse> response) {
        String token = AgentPeer.JOIN_TOKEN.get();
        answer(response, () -> {
            String which;
            try {
                which = joinTokens.verify(token);
            } catch (JoinTokenException e) {
                throw Status.UNAUTHENTICATED.withDescription(e.getMessage()).asRuntimeException();
            }
            return certificates.enroll(request, which);
        });
    }

    @Override
    public void registerAgent(RegisterAgentRequest request, StreamObserver<RegisterAgentResponse> response) {
        if (!speaksFor(request.getNode(), response)) {
            return;
        }
        answer(response, () -> RegisterAgentResponse.newBuilder()
                .setHeartbeatIntervalMillis(config.heartbeatInterval().toMillis())
                .addAllUnknownGpids(membership.register(request))
                .build());
    }

    @Override
    public void heartbeat(HeartbeatRequest request, StreamObserver<HeartbeatResponse> response) {
        if (!speaksFor(request.getNode(), response)) {
            return;
        }
        answer(response, () -> HeartbeatResponse.newBuilder()
                .setKnown(membership.heartbeat(request))
                .setHeartbeatIntervalMillis(config.heartbeatInterval().toMillis())
                .addAllRevokedCertificateSerials(revocations.revokedSerials())
                .build());
    }

    @Override
    public void reportProcessExit(ReportProcessExitRequest request, StreamObserver<ReportProcessExitResponse> response) {
        if (!speaksFor(request.getNode(), response)) {
            return;
        }
        answer(response, () -> {
            lifecycle.exited(request.getNode(), request.getGpid(), request.getExitStatus(), request.getReason());
            return ReportProcessExitResponse.getDefaultInstance();
        });
    }

    /** Checked here, on the gRPC thread: the call's Context (the caller's certificate) does not follow to the pool. */
    private static boolean speaksFor(String node, StreamObserver<?> response) {
        try {
            AgentPeer.requireNode(node);
            return true;
        } catch (RuntimeException e) {
            response.onError(GrpcErrors.toStatus(e));
            return false;
        }
    }

    private <T> void answer(StreamObserver<T> response, Supplier<T> reply) {
        agentCalls.execute(() -> {
            try {
                response.onNext(reply.get());
                response.onCompleted();
            } catch (RuntimeException e) {
                response.onError(GrpcErrors.toStatus(e));
            }
        });
    }

    @PreDestroy
    void stop() {
        agentCalls.shutdownNow();
    }
}
