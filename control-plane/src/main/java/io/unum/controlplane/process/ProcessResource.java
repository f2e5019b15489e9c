package io.unum.controlplane.process;

import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.unum.api.model.Capabilities;
import io.unum.api.model.CapabilitiesUpdate;
import io.unum.api.model.OutputChunk;
import io.unum.api.model.ProcessEvent;
import io.unum.api.model.ProcessInfo;
import io.unum.api.model.ProcessState;
import io.unum.api.model.SignalRequest;
import io.unum.api.model.SpawnRequest;
import io.unum.controlplane.auth.Role;
import io.unum.controlplane.error.UnumException;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.net.URI;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.resteasy.reactive.RestResponse;
import org.jboss.resteasy.reactive.RestStreamElementType;

@Path("/api/v1/processes")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "processes", description = "The cluster-wide process table")
@Blocking
public class ProcessResource {
    private final ProcessStore processes;
    private final ProcessQueries queries;
    private final ProcessLauncher launcher;
    private final ProcessControl control;
    private final ProcessOutput output;
    private final ProcessEvents events;

    public ProcessResource(ProcessStore processes, ProcessQueries queries, ProcessLauncher launcher, ProcessControl control,
            ProcessOutput output, ProcessEvents events) {
        this.processes = processes;
        this.queries = queries;
        this.launcher = launcher;
        this.control = control;
        this.output = output;
        this.events = events;
    }

    @GET
    @RolesAllowed(Role.VIEWER_NAME)
    @Operation(summary = "List the processes of the cluster by gpid, optionally filtered by node, state and user, "
            + "a page at a time with limit: when more remain, a Link header (rel=\"next\") gives the next page's URL "
            + "with its continue token")
    public RestResponse<List<ProcessInfo>> list(@QueryParam("node") String node, @QueryParam("state") String state,
            @QueryParam("user") String user, @QueryParam("limit") String limit, @QueryParam("continue") String after,
            @Context UriInfo uri) {
        ProcessPage page = queries.page(blankToNull(node), state == null || state.isBlank() ? null : parseState(state),
                blankToNull(user), ProcessPage.limit(limit), ProcessPage.afterGpid(after));
        RestResponse.ResponseBuilder<List<ProcessInfo>> answer = RestResponse.ResponseBuilder.ok(page.items());
        page.next().ifPresent(next -> answer.header("Link", "<" + uri.getRequestUriBuilder()
                .replaceQueryParam("continue", next).build() + ">; rel=\"next\""));
        return answer.build();
    }

    @GET
    @Path("events")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @RestStreamElementType(MediaType.APPLICATION_JSON)
    @RolesAllowed(Role.VIEWER_NAME)
    @Operation(summary = "Follow the process table as server-sent events: a snapshot, then changed records and a usage tick every second")
    public Multi<ProcessEvent> events() {
        return events.stream();
    }

    @GET
    @Path("{gpid}")
    @RolesAllowed(Role.VIEWER_NAME)
    @Operation(summary = "Get one process by gpid")
    public ProcessInfo get(@PathParam("gpid") String gpid) {
        return queries.get(parseGpid(gpid));
    }

    @POST
    @RolesAllowed(Role.ADMIN_NAME)
    @Operation(summary = "Start a process on the node placement picks, or the one named")
    public Response spawn(SpawnRequest request) {
        ProcessInfo process = launcher.spawn(request);
        return Response.created(URI.create("/api/v1/processes/" + process.gpid())).entity(process).build();
    }

    @POST
    @Path("{gpid}/signal")
    @RolesAllowed(Role.ADMIN_NAME)
    @Operation(summary = "Send a signal to a process wherever it runs")
    public Response signal(@PathParam("gpid") String gpid, SignalRequest request) {
        if (request == null || request.signal() == null) {
            throw UnumException.invalidRequest("send {\"signal\": \"TERM\"} (a name or a number)");
        }
        control.signal(parseGpid(gpid), request.signal());
        return Response.accepted().build();
    }

    @GET
    @Path("{gpid}/output")
    @RolesAllowed(Role.VIEWER_NAME)
    @Operation(summary = "Captured stdout and stderr from the given offsets (data is base64)")
    public Uni<List<OutputChunk>> output(@PathParam("gpid") String gpid,
            @QueryParam("stdoutOffset") @DefaultValue("0") long stdoutOffset,
            @QueryParam("stderrOffset") @DefaultValue("0") long stderrOffset) {
        return output.read(parseGpid(gpid), stdoutOffset, stderrOffset, false).map(ProcessResource::toModel)
                .collect().asList();
    }

    @GET
    @Path("{gpid}/output/stream")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @RestStreamElementType(MediaType.APPLICATION_JSON)
    @RolesAllowed(Role.VIEWER_NAME)
    @Operation(summary = "Follow stdout and stderr as server-sent events until the process ends")
    public Multi<OutputChunk> follow(@PathParam("gpid") String gpid,
            @QueryParam("stdoutOffset") @DefaultValue("0") long stdoutOffset,
            @QueryParam("stderrOffset") @DefaultValue("0") long stderrOffset) {
        return output.read(parseGpid(gpid), stdoutOffset, stderrOffset, true).map(ProcessResource::toModel);
    }

    @GET
    @Path("{gpid}/capabilities")
    @RolesAllowed(Role.VIEWER_NAME)
    @Operation(summary = "The four capability sets of a process")
    public Capabilities capabilities(@PathParam("gpid") String gpid) {
        return processes.get(parseGpid(gpid)).capabilities();
    }

    @PATCH
    @Path("{gpid}/capabilities")
    @RolesAllowed(Role.ADMIN_NAME)
    @Operation(summary = "Change capability sets with krgcapset syntax, e.g. {\"effective\": \"+CAN_MIGRATE,-CHECKPOINTABLE\"}")
    public Capabilities updateCapabilities(@PathParam("gpid") String gpid, CapabilitiesUpdate update) {
        if (update == null) {
            throw UnumException.invalidRequest("send the changes, e.g. {\"effective\": \"+CAN_MIGRATE\"}");
        }
        return control.updateCapabilities(parseGpid(gpid), update);
    }

    public static int parseGpid(String gpid) {
        try {
            int value = Integer.parseInt(gpid);
            if (value > 0) {
                return value;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw UnumException.processNotFound("'" + gpid + "' is not a gpid; gpids are positive integers below 2^31");
    }

    private static ProcessState parseState(String state) {
        try {
            return ProcessState.valueOf(state.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw UnumException.invalidRequest("unknown state '" + state + "'; use one of " + List.of(ProcessState.values()));
        }
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    static OutputChunk toModel(io.unum.api.grpc.OutputChunk chunk) {
        return new OutputChunk(ProcessOutput.streamName(chunk.getStream()), chunk.getOffset(),
                Base64.getEncoder().encodeToString(chunk.getData().toByteArray()));
    }
}
