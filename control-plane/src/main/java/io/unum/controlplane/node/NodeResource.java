package io.unum.controlplane.node;

import io.smallrye.mutiny.Multi;
import io.unum.api.model.NodeEvent;
import io.unum.api.model.NodeInfo;
import io.unum.controlplane.auth.Role;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.resteasy.reactive.RestStreamElementType;

@Path("/api/v1/nodes")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "nodes", description = "The machines of the cluster")
public class NodeResource {
    private final NodeStore nodes;
    private final NodeEvents events;
    private final NodeRemoval removal;

    public NodeResource(NodeStore nodes, NodeEvents events, NodeRemoval removal) {
        this.nodes = nodes;
        this.events = events;
        this.removal = removal;
    }

    @GET
    @RolesAllowed(Role.VIEWER_NAME)
    @Operation(summary = "List the nodes with their state and live load")
    public List<NodeInfo> list() {
        return nodes.list();
    }

    @GET
    @Path("events")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @RestStreamElementType(MediaType.APPLICATION_JSON)
    @RolesAllowed(Role.VIEWER_NAME)
    @Operation(summary = "Follow the nodes as server-sent events: a snapshot, then every changed node (each heartbeat)")
    public Multi<NodeEvent> events() {
        return events.stream();
    }

    @GET
    @Path("{name}")
    @RolesAllowed(Role.VIEWER_NAME)
    @Operation(summary = "Get one node")
    public NodeInfo get(@PathParam("name") String name) {
        return nodes.get(name);
    }

    @DELETE
    @Path("{name}")
    @RolesAllowed(Role.ADMIN_NAME)
    @Operation(summary = "Remove a node for good: refused (409) while processes are there; its agent's certificate is "
            + "revoked at once, so it can come back only by joining again with a join token")
    @APIResponse(responseCode = "204", description = "Removed")
    public Response remove(@PathParam("name") String name) {
        removal.remove(name);
        return Response.noContent().build();
    }
}
