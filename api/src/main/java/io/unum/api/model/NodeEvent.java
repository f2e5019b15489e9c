package io.unum.api.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * One event of {@code GET /api/v1/nodes/events} (server-sent events, JSON data). A stream starts
 * with one {@link Type#SNAPSHOT}; then every node record that changes (each heartbeat changes its
 * node's load) comes as an {@link Type#UPSERT}.
 *
 * @param nodes SNAPSHOT: every node; UPSERT: the nodes that changed
 * @param names REMOVE: nodes whose records are gone
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record NodeEvent(
        @Schema(required = true) Type type,
        @Schema(required = true) Instant at,
        List<NodeInfo> nodes,
        List<String> names) {

    @Schema(name = "NodeEventType")
    public enum Type {
        /** Every node; replaces whatever the client held. */
        SNAPSHOT,
        /** Node records created or changed. */
        UPSERT,
        /** Node records deleted. */
        REMOVE
    }

    public static NodeEvent snapshot(Instant at, List<NodeInfo> nodes) {
        return new NodeEvent(Type.SNAPSHOT, at, nodes, null);
    }

    public static NodeEvent upsert(Instant at, NodeInfo node) {
        return new NodeEvent(Type.UPSERT, at, List.of(node), null);
    }

    public static NodeEvent remove(Instant at, String name) {
        return new NodeEvent(Type.REMOVE, at, null, List.of(name));
    }
}
