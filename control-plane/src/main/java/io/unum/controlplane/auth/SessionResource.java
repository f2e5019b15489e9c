package io.unum.controlplane.auth;

import io.quarkus.security.identity.SecurityIdentity;
import io.unum.api.model.SessionInfo;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/api/v1/session")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "session", description = "What the presented token may do")
public class SessionResource {
    private final SecurityIdentity identity;

    public SessionResource(SecurityIdentity identity) {
        this.identity = identity;
    }

    @GET
    @RolesAllowed(Role.VIEWER_NAME)
    @Operation(summary = "The role of the presented token (admin or viewer), so a client can offer only what it may do")
    public SessionInfo get() {
        return new SessionInfo(identity.hasRole(Role.ADMIN_NAME) ? Role.ADMIN_NAME : Role.VIEWER_NAME);
    }
}
