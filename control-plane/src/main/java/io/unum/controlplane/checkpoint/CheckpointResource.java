package io.unum.controlplane.checkpoint;

import io.smallrye.common.annotation.Blocking;
import io.unum.api.model.CheckpointInfo;
import io.unum.api.model.ProcessInfo;
import io.unum.api.model.RestartRequest;
import io.unum.controlplane.auth.Role;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** Checkpoints: list, inspect, restart, delete. */
@Path("/api/v1/checkpoints")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "checkpoints", description = "Checkpoints of processes and restarts from them")
@Blocking
public class CheckpointResource {
    private final Checkpointer checkpoints;

    public CheckpointResource(Checkpointer checkpoints) {
        this.checkpoints = checkpoints;
    }

    @GET
    @RolesAllowed(Role.VIEWER_NAME)
    @Operation(summary = "Checkpoints, newest first, optionally of one process")
    public List<CheckpointInfo> list(@QueryParam("gpid") Integer gpid) {
        return checkpoints.list(gpid);
    }

    @GET
    @Path("{id}")
    @RolesAllowed(Role.VIEWER_NAME)
    @Operation(summary = "One checkpoint")
    public CheckpointInfo get(@PathParam("id") String id) {
        return checkpoints.get(id);
    }

    @POST
    @Path("{id}/restart")
    @RolesAllowed(Role.ADMIN_NAME)
    @Operation(summary = "Restart the checkpointed process, with its gpid, on the node given or one placement picks; "
            + "refused while that gpid still runs")
    public ProcessInfo restart(@PathParam("id") String id, RestartRequest request) {
        return checkpoints.restart(id, request == null ? null : request.node());
    }

    @DELETE
    @Path("{id}")
    @RolesAllowed(Role.ADMIN_NAME)
    @Operation(summary = "Delete a checkpoint and its image")
    public Response delete(@PathParam("id") String id) {
        checkpoints.delete(id);
        return Response.noContent().build();
    }
}
