package io.unum.controlplane.checkpoint;

import io.smallrye.common.annotation.Blocking;
import io.unum.api.model.CheckpointInfo;
import io.unum.api.model.CheckpointRequest;
import io.unum.controlplane.auth.Role;
import io.unum.controlplane.process.ProcessResource;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * {@code /api/v1/processes/{gpid}/checkpoints}. A class of its own because JAX-RS matches a
 * request to the resource class with the most specific path, and then looks no further.
 */
@Path("/api/v1/processes/{gpid}/checkpoints")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "checkpoints")
@Blocking
public class ProcessCheckpointResource {
    private final Checkpointer checkpoints;

    public ProcessCheckpointResource(Checkpointer checkpoints) {
        this.checkpoints = checkpoints;
    }

    @POST
    @RolesAllowed(Role.ADMIN_NAME)
    @Operation(summary = "Checkpoint a RUNNING process with CHECKPOINTABLE; with {\"kill\": true} it then stops")
    public Response create(@PathParam("gpid") String gpid, CheckpointRequest request) {
        boolean kill = request != null && Boolean.TRUE.equals(request.kill());
        CheckpointInfo c = checkpoints.create(ProcessResource.parseGpid(gpid), kill);
        return Response.created(URI.create("/api/v1/checkpoints/" + c.id())).entity(c).build();
    }

    @GET
    @RolesAllowed(Role.VIEWER_NAME)
    @Operation(summary = "The process's checkpoints, newest first")
    public List<CheckpointInfo> list(@PathParam("gpid") String gpid) {
        return checkpoints.list(ProcessResource.parseGpid(gpid));
    }
}
