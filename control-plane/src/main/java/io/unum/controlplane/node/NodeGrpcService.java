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
import com.google.protobuf.Timestamp;
import io.unum.api.grpc.Node;
import io.unum.api.model.NodeInfo;
import io.unum.api.model.NodeLoad;
import io.unum.api.model.NodeState;
import java.time.Instant;

/** gRPC face of the node list. */
@GrpcService
@Blocking
public class NodeGrpcService extends NodeServiceGrpc.NodeServiceImplBase {
    private final NodeStore nodes;
    private final NodeRemoval removal;

    public NodeGrpcService(NodeStore nodes, NodeRemoval removal) {
        this.nodes = nodes;
        this.removal = removal;
    }

    @Override
    public void removeNode(io.unum.api.grpc.RemoveNodeRequest request,
            StreamObserver<io.unum.api.grpc.RemoveNodeResponse> response) {
        GrpcErrors.unary(response, () -> {
            removal.remove(request.getName());
            return io.unum.api.grpc.RemoveNodeResponse.getDefaultInstance();
        });
    }

    @Override
    public void listNodes(ListNodesRequest request, StreamObserver<ListNodesResponse> response) {
        response.onNext(ListNodesResponse.newBuilder()
                .addAllNodes(nodes.list().stream().map(NodeGrpcService::toProto).toList()).build());
        response.onCompleted();
    }

    @Override
    public void getNode(GetNodeRequest request, StreamObserver<GetNodeResponse> response) {
        try {
            GetNodeResponse value = GetNodeResponse.newBuilder().setNode(toProto(nodes.get(request.getName()))).build();
            response.onNext(value);
            response.onCompleted();
        } catch (RuntimeException e) {
            response.onError(GrpcErrors.toStatus(e));
        }
    }

    static Node toProto(NodeInfo n) {
        NodeLoad l = n.load() == null ? NodeLoad.UNKNOWN : n.load();
        Node.Builder b = Node.newBuilder()
                .setName(n.name())
                .setAddress(n.address() == null ? "" : n.address())
                .setState(n.state() == NodeState.READY ? io.unum.api.grpc.NodeState.NODE_STATE_READY
                        : io.unum.api.grpc.NodeState.NODE_STATE_DOWN)
                .setCores(n.cores())
                .setMemoryBytes(n.memoryBytes())
                .setLoad(io.unum.api.grpc.NodeLoad.newBuilder().setLoad1(l.load1()).setCpuPercent(l.cpuPercent())
                        .setMemoryFreeBytes(l.memoryFreeBytes()).setProcessCount(l.processCount()));
        if (n.registeredAt() != null) {
            b.setRegisteredAt(timestamp(n.registeredAt()));
        }
        if (n.lastHeartbeatAt() != null) {
            b.setLastHeartbeatAt(timestamp(n.lastHeartbeatAt()));
        }
        return b.build();
    }

    private static Timestamp timestamp(Instant i) {
        return Timestamp.newBuilder().setSeconds(i.getEpochSecond()).setNanos(i.getNano()).build();
    }
}
