package io.unum.api.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;

/** A node agent as the cluster knows it: the record stored in etcd and the REST representation. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record NodeInfo(
        String name,
        String address,
        NodeState state,
        int cores,
        long memoryBytes,
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
