package io.unum.controlplane.audit;

import io.smallrye.common.annotation.Blocking;
import io.unum.api.model.AuditEntry;
import io.unum.controlplane.auth.Role;
import io.unum.controlplane.error.UnumException;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/api/v1/audit")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "audit", description = "Who did what: privileged spawns, signals, capability changes, migrations")
@Blocking
public class AuditResource {
    static final int MAX_LIMIT = 10_000;

    private final AuditLog log;

    public AuditResource(AuditLog log) {
        this.log = log;
    }

    @GET
    @RolesAllowed(Role.ADMIN_NAME)
    @Operation(summary = "The newest audit entries, oldest first (admin only)")
    public List<AuditEntry> list(@QueryParam("limit") @DefaultValue("100") String limit) {
        return log.recent(parseLimit(limit));
    }

    static int parseLimit(String limit) {
        try {
            int n = Integer.parseInt(limit.trim());
            if (n >= 1 && n <= MAX_LIMIT) {
                return n;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw UnumException.invalidRequest("limit '" + limit + "' must be a whole number from 1 to " + MAX_LIMIT);
    }
}
