package io.unum.controlplane.scheduler;

import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import io.unum.api.grpc.NodeProfileServiceGrpc;
import io.unum.api.grpc.ReportNodeProfileRequest;
import io.unum.api.grpc.ReportNodeProfileResponse;
import io.unum.api.model.NodeProfile;
import io.unum.controlplane.error.GrpcErrors;

/**
 * The agents report their labels and enforced capacity here after each registration, on the agent
 * port, each for the node its certificate names.
 */
@GrpcService
@Blocking
public class NodeProfileGrpcService extends NodeProfileServiceGrpc.NodeProfileServiceImplBase {
    private final NodeProfiles profiles;

    public NodeProfileGrpcService(NodeProfiles profiles) {
        this.profiles = profiles;
    }

    @Override
    public void reportNodeProfile(ReportNodeProfileRequest r, StreamObserver<ReportNodeProfileResponse> response) {
        try {
            io.unum.controlplane.node.AgentPeer.requireNode(r.getNode());
            profiles.report(new NodeProfile(r.getNode(), r.getLabelsMap(), r.getCpuCapacity(), r.getMemoryCapacityBytes(),
                    r.getEnforcement().isEmpty() ? "none" : r.getEnforcement()));
            response.onNext(ReportNodeProfileResponse.getDefaultInstance());
            response.onCompleted();
        } catch (RuntimeException e) {
            response.onError(GrpcErrors.toStatus(e));
        }
    }
}
