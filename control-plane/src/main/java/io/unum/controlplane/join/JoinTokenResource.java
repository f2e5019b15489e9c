package io.unum.controlplane.join;

import io.smallrye.common.annotation.Blocking;
import io.unum.api.model.JoinTokenInfo;
import io.unum.api.model.JoinTokenRequest;
import io.unum.api.model.NewJoinToken;
import io.unum.controlplane.auth.Role;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** Join tokens: the short-lived secrets new agents join with. Admin only: a join token makes a node. */
@Path("/api/v1/join-tokens")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "join-tokens", description = "Short-lived secrets node agents join the cluster with (Enroll)")
@Blocking
public class JoinTokenResource {
    private final JoinTokens tokens;

    public JoinTokenResource(JoinTokens tokens) {
        this.tokens = tokens;
    }

    @POST
    @RolesAllowed(Role.ADMIN_NAME)
    @Operation(summary = "Create a join token (ttlSeconds 1-86400, default 3600); the secret is shown in this answer only")
    public Response create(JoinTokenRequest request) {
        NewJoinToken created = tokens.create(request == null ? null : request.ttlSeconds());
        return Response.status(Response.Status.CREATED).entity(created).build();
    }

    @GET
    @RolesAllowed(Role.ADMIN_NAME)
    @Operation(summary = "The join tokens that can still be used, soonest to expire first (ids and expiry, never secrets)")
    public List<JoinTokenInfo> list() {
        return tokens.list();
    }

    @DELETE
    @Path("{id}")
    @RolesAllowed(Role.ADMIN_NAME)
    @Operation(summary = "Delete a join token: no agent can join with it any more (joined agents keep their certificates)")
    public Response delete(@PathParam("id") String id) {
        tokens.delete(id);
        return Response.noContent().build();
    }
}
