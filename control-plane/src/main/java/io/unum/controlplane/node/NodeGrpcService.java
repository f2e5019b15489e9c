package io.unum.controlplane.node;

import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import io.unum.api.grpc.GetNodeRequest;
import io.unum.api.grpc.GetNodeResponse;
import io.unum.api.grpc.ListNodesRequest;
import io.unum.api.grpc.ListNodesResponse;
import io.unum.api.grpc.NodeServiceGrpc;
import io.unum.controlplane.error.GrpcErrors;
import io.unum.controlplane.process.ProtoMapper;

/** gRPC face of the node list. */
@GrpcService
@Blocking
public class NodeGrpcService extends NodeServiceGrpc.NodeServiceImplBase {
    private final NodeStore nodes;

    public NodeGrpcService(NodeStore nodes) {
        this.nodes = nodes;
    }

    @Override
    public void listNodes(ListNodesRequest request, StreamObserver<ListNodesResponse> response) {
        response.onNext(ListNodesResponse.newBuilder()
                .addAllNodes(nodes.list().stream().map(ProtoMapper::toProto).toList()).build());
        response.onCompleted();
    }

    @Override
    public void getNode(GetNodeRequest request, StreamObserver<GetNodeResponse> response) {
        try {
            GetNodeResponse value = GetNodeResponse.newBuilder().setNode(ProtoMapper.toProto(nodes.get(request.getName()))).build();
            response.onNext(value);
            response.onCompleted();
        } catch (RuntimeException e) {
            response.onError(GrpcErrors.toStatus(e));
        }
    }
}
