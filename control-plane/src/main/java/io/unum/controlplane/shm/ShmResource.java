package io.unum.controlplane.shm;

import io.unum.api.model.ShmSegmentInfo;
import io.unum.controlplane.auth.Role;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/api/v1/shm")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "shared memory", description = "Cluster-wide System V and POSIX shared memory segments")
public class ShmResource {
    private final ShmQueries queries;

    public ShmResource(ShmQueries queries) {
        this.queries = queries;
    }

    @GET
    @RolesAllowed(Role.VIEWER_NAME)
    @Operation(summary = "List the segments of the cluster with their attached processes (unum ipcs)")
    public List<ShmSegmentInfo> list() {
        return queries.list();
    }

    @GET
    @Path("{id}")
    @RolesAllowed(Role.VIEWER_NAME)
    @Operation(summary = "Get one segment, with what each node holds of it and how many pages crossed between nodes")
    public ShmSegmentInfo get(@PathParam("id") int id) {
        return queries.get(id);
    }

    @DELETE
    @Path("{id}")
    @RolesAllowed(Role.ADMIN_NAME)
    @Operation(summary = "Remove a segment (unum ipcrm): its key or name is free at once, and it is destroyed when its "
            + "last process detaches")
    public ShmSegmentInfo remove(@PathParam("id") int id) {
        return queries.remove(id);
    }
}
