package io.unum.controlplane.migration;

import io.smallrye.common.annotation.Blocking;
import io.unum.api.model.MigrateRequest;
import io.unum.api.model.MigrationInfo;
import io.unum.controlplane.audit.AuditLog;
import io.unum.controlplane.auth.Role;
import io.unum.controlplane.error.UnumException;
import io.unum.controlplane.process.ProcessResource;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * {@code POST /api/v1/processes/{gpid}/migrate}. A class of its own because JAX-RS matches a
 * request to the resource class with the most specific path, and then looks no further.
 */
@Path("/api/v1/processes/{gpid}/migrate")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "migrations")
@Blocking
public class ProcessMigrationResource {
    private final MigrationDriver migrations;
    private final AuditLog audit;

    public ProcessMigrationResource(MigrationDriver migrations, AuditLog audit) {
        this.migrations = migrations;
        this.audit = audit;
    }

    @POST
    @RolesAllowed(Role.ADMIN_NAME)
    @Operation(summary = "Move a RUNNING process with CAN_MIGRATE to another node, stop-and-copy (default) or "
            + "post-copy ({\"node\": \"node-2\", \"mode\": \"POST_COPY\"}); answers 202 with the migration, "
            + "whose progress /api/v1/migrations/{id}/events streams")
    public Response migrate(@PathParam("gpid") String gpid, MigrateRequest request) {
        if (request == null) {
            throw UnumException.invalidRequest("send the target node, e.g. {\"node\": \"node-2\"}");
        }
        MigrationInfo m = migrations.start(ProcessResource.parseGpid(gpid), request.node(), request.mode());
        audit.migration(m);
        return Response.accepted(m).location(URI.create("/api/v1/migrations/" + m.id())).build();
    }
}
