package io.unum.controlplane.migration;

import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
import io.unum.api.model.MigrationInfo;
import io.unum.controlplane.auth.Role;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.resteasy.reactive.RestStreamElementType;

/** Migration records, and a stream of one migration's progress. */
@Path("/api/v1/migrations")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "migrations", description = "Live migration of processes between nodes")
@Blocking
public class MigrationResource {
    private final MigrationStore store;
    private final MigrationFollowers followers;

    public MigrationResource(MigrationStore store, MigrationFollowers followers) {
        this.store = store;
        this.followers = followers;
    }

    @GET
    @RolesAllowed(Role.VIEWER_NAME)
    @Operation(summary = "Recent migrations, newest first, optionally of one process")
    public List<MigrationInfo> list(@QueryParam("gpid") Integer gpid) {
        return store.list().stream().filter(m -> gpid == null || m.gpid() == gpid).toList();
    }

    @GET
    @Path("{id}")
    @RolesAllowed(Role.VIEWER_NAME)
    @Operation(summary = "One migration")
    public MigrationInfo get(@PathParam("id") String id) {
        return store.get(id);
    }

    @GET
    @Path("{id}/events")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @RestStreamElementType(MediaType.APPLICATION_JSON)
    @RolesAllowed(Role.VIEWER_NAME)
    @Operation(summary = "Follow a migration as server-sent events: its record now and at every change, until it ends")
    public Multi<MigrationInfo> events(@PathParam("id") String id) {
        return followers.follow(id);
    }
}
