package io.unum.controlplane.scheduler;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
import io.unum.api.model.SchedulerEvent;
import io.unum.api.model.SchedulerNode;
import io.unum.api.model.SchedulerPolicy;
import io.unum.api.model.SchedulerStatus;
import io.unum.controlplane.auth.Role;
import io.unum.controlplane.leader.Leadership;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.resteasy.reactive.RestStreamElementType;

@Path("/api/v1/scheduler")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "scheduler", description = "Placement and balancing policies, and the decisions they make")
@Blocking
public class SchedulerResource {
    private final PolicyStore policies;
    private final Probes probes;
    private final SchedulerEvents events;
    private final EventLog log;
    private final Leadership leadership;
    private final SecurityIdentity identity;
    private final ObjectReader policyReader;

    public SchedulerResource(PolicyStore policies, Probes probes, SchedulerEvents events, EventLog log,
            Leadership leadership, SecurityIdentity identity, ObjectMapper mapper) {
        this.policies = policies;
        this.probes = probes;
        this.events = events;
        this.log = log;
        this.leadership = leadership;
        this.identity = identity;
        this.policyReader = mapper.readerFor(SchedulerPolicy.class);
    }

    @GET
    @Path("policy")
    @RolesAllowed(Role.VIEWER_NAME)
    @Operation(summary = "The placement and balancing policies in force, every parameter filled in")
    public SchedulerPolicy policy() {
        return policies.currentModel();
    }

    @PUT
    @Path("policy")
    @RolesAllowed(Role.ADMIN_NAME)
    @Operation(summary = "Replace the policy; parameters left out take their defaults. Every replica applies it within a second")
    @RequestBody(content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = SchedulerPolicy.class)))
    public SchedulerPolicy setPolicy(String body) throws JsonProcessingException {
        SchedulerPolicy policy = body == null || body.isBlank() ? null : policyReader.readValue(body);
        return policies.set(policy, identity.getPrincipal().getName());
    }

    @GET
    @Path("nodes")
    @RolesAllowed(Role.VIEWER_NAME)
    @Operation(summary = "The nodes as the scheduler sees them: labels, capacity, load per core, free memory, processes")
    public List<SchedulerNode> nodes() {
        return probes.all().stream().map(Candidate::toModel).toList();
    }

    @GET
    @Path("status")
    @RolesAllowed(Role.VIEWER_NAME)
    @Operation(summary = "This replica's name in the events, and whether it runs the balancer (is the leader)")
    public SchedulerStatus status() {
        return new SchedulerStatus(log.replica(), leadership.isLeader());
    }

    @GET
    @Path("events")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @RestStreamElementType(MediaType.APPLICATION_JSON)
    @RolesAllowed(Role.VIEWER_NAME)
    @Operation(summary = "Placement and migration decisions with their reasons, as server-sent events: the recent ones,"
            + " then (unless follow=false) new ones as they are made")
    public Multi<SchedulerEvent> events(@QueryParam("follow") @DefaultValue("true") boolean follow) {
        return events.stream(follow);
    }
}
