package io.unum.controlplane.node;

import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import io.unum.api.grpc.AgentRegistryServiceGrpc;
import io.unum.api.grpc.HeartbeatRequest;
import io.unum.api.grpc.HeartbeatResponse;
import io.unum.api.grpc.RegisterAgentRequest;
import io.unum.api.grpc.RegisterAgentResponse;
import io.unum.api.grpc.ReportProcessExitRequest;
import io.unum.api.grpc.ReportProcessExitResponse;
import io.unum.controlplane.error.GrpcErrors;

/** The agents' side of the protocol: register, heartbeat, report exits. */
@GrpcService
@Blocking
public class AgentRegistryGrpcService extends AgentRegistryServiceGrpc.AgentRegistryServiceImplBase {
    private final NodeMembership membership;
    private final NodeProcesses lifecycle;
    private final NodeConfig config;

    public AgentRegistryGrpcService(NodeMembership membership, NodeProcesses lifecycle, NodeConfig config) {
        this.membership = membership;
        this.lifecycle = lifecycle;
        this.config = config;
    }

    @Override
    public void registerAgent(RegisterAgentRequest request, StreamObserver<RegisterAgentResponse> response) {
        try {
            response.onNext(RegisterAgentResponse.newBuilder()
                    .setHeartbeatIntervalMillis(config.heartbeatInterval().toMillis())
                    .addAllUnknownGpids(membership.register(request))
                    .build());
            response.onCompleted();
        } catch (RuntimeException e) {
            response.onError(GrpcErrors.toStatus(e));
        }
    }

    @Override
    public void heartbeat(HeartbeatRequest request, StreamObserver<HeartbeatResponse> response) {
        try {
            response.onNext(HeartbeatResponse.newBuilder()
                    .setKnown(membership.heartbeat(request))
                    .setHeartbeatIntervalMillis(config.heartbeatInterval().toMillis())
                    .build());
            response.onCompleted();
        } catch (RuntimeException e) {
            response.onError(GrpcErrors.toStatus(e));
        }
    }

    @Override
    public void reportProcessExit(ReportProcessExitRequest request, StreamObserver<ReportProcessExitResponse> response) {
        try {
            lifecycle.exited(request.getNode(), request.getGpid(), request.getExitStatus());
            response.onNext(ReportProcessExitResponse.getDefaultInstance());
            response.onCompleted();
        } catch (RuntimeException e) {
            response.onError(GrpcErrors.toStatus(e));
        }
    }
}
