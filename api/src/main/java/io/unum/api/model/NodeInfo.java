package io.unum.api.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** A node agent as the cluster knows it: the record stored in etcd and the REST representation. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record NodeInfo(
        @Schema(required = true) String name,
        @Schema(required = true) String address,
        @Schema(required = true) NodeState state,
        @Schema(required = true) int cores,
        @Schema(required = true) long memoryBytes,
        NodeLoad load,
        Instant registeredAt,
        Instant lastHeartbeatAt) {

    public NodeInfo withState(NodeState newState) {
        return new NodeInfo(name, address, newState, cores, memoryBytes, load, registeredAt, lastHeartbeatAt);
    }

    public NodeInfo withLoad(NodeLoad newLoad, Instant at) {
        return new NodeInfo(name, address, state, cores, memoryBytes, newLoad, registeredAt, at);
    }
}
