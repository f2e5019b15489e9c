package io.unum.controlplane.node;

import io.unum.api.model.NodeInfo;
import io.unum.controlplane.auth.Role;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/api/v1/nodes")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "nodes", description = "The machines of the cluster")
public class NodeResource {
    private final NodeStore nodes;

    public NodeResource(NodeStore nodes) {
        this.nodes = nodes;
    }

    @GET
    @RolesAllowed(Role.VIEWER_NAME)
    @Operation(summary = "List the nodes with their state and live load")
    public List<NodeInfo> list() {
        return nodes.list();
    }

    @GET
    @Path("{name}")
    @RolesAllowed(Role.VIEWER_NAME)
    @Operation(summary = "Get one node")
    public NodeInfo get(@PathParam("name") String name) {
        return nodes.get(name);
    }
}
