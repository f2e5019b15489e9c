package io.unum.controlplane.error;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;
import io.unum.api.model.Problem;
import io.unum.controlplane.etcd.EtcdConflictException;
import io.unum.controlplane.etcd.EtcdUnavailableException;
import jakarta.inject.Inject;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** The one place where exceptions become {@code application/problem+json} responses. */
public class ProblemMapper {
    private static final Logger LOG = Logger.getLogger(ProblemMapper.class);

    @Inject
    AllowedMethods allowedMethods;

    @ServerExceptionMapper
    public Response unum(UnumException e, UriInfo uri) {
        return problem(e.kind().httpStatus(), e.kind().title(), e.getMessage(), uri);
    }

    @ServerExceptionMapper
    public Response etcdDown(EtcdUnavailableException e, UriInfo uri) {
        LOG.warn(e.getMessage());
        return problem(503, "Store Unavailable", "the cluster store (etcd) is unavailable; retry shortly", uri);
    }

    @ServerExceptionMapper
    public Response lostRaces(EtcdConflictException e, UriInfo uri) {
        LOG.warn(e.getMessage());
        return problem(409, "Conflict", e.getMessage(), uri);
    }

    // Listed one by one because Quarkus ships its own (body-less) mapper for MismatchedInputException.
    @ServerExceptionMapper({JsonProcessingException.class, MismatchedInputException.class, JsonParseException.class,
            UnrecognizedPropertyException.class})
    public Response malformedJson(JsonProcessingException e, UriInfo uri) {
        return problem(400, "Malformed JSON", jsonDetail(e), uri);
    }

    /** What is wrong with a body; an unknown field is named with the fields the endpoint knows. */
    static String jsonDetail(JsonProcessingException e) {
        if (e instanceof UnrecognizedPropertyException unknown) {
            return "unknown field '" + unknown.getPropertyName() + "'; this endpoint accepts "
                    + unknown.getKnownPropertyIds().stream().map(String::valueOf).sorted().toList();
        }
        return "the request body is not valid JSON for this endpoint: " + e.getOriginalMessage();
    }

    @ServerExceptionMapper({UnauthorizedException.class, AuthenticationFailedException.class})
    public Response unauthenticated(RuntimeException e, UriInfo uri) {
        return Response.fromResponse(problem(401, "Unauthorized",
                "send a valid token as 'Authorization: Bearer <token>'", uri))
                .header("WWW-Authenticate", "Bearer realm=\"unum\"").build();
    }

    @ServerExceptionMapper
    public Response forbidden(ForbiddenException e, UriInfo uri) {
        return problem(403, "Forbidden", "this action needs the admin role; your token has the viewer role", uri);
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e, UriInfo uri) {
        int status = e.getResponse().getStatus();
        if (status >= 500) {
            LOG.error("request failed", e);
            return problem(status, "Internal Error", "the control plane failed to handle the request", uri);
        }
        if (e.getCause() instanceof JsonProcessingException json) {
            return malformedJson(json, uri);
        }
        Response.Status known = Response.Status.fromStatusCode(status);
        java.util.Set<String> allowed = status == 405 && uri != null ? allowedMethods.at(uri.getPath()) : java.util.Set.of();
        String detail = switch (status) {
            case 404 -> "nothing is at " + (uri == null ? "this path" : "/" + uri.getPath().replaceFirst("^/", ""))
                    + "; the API is under /api/v1 (see /q/openapi)";
            case 405 -> "this method is not allowed here; use " + String.join(", ", allowed);
            case 406 -> "this resource answers application/json (errors: application/problem+json); fix the Accept header";
            case 415 -> "send the body as Content-Type: application/json";
            default -> e.getMessage();
        };
        Response answer = problem(status, known == null ? "Error" : known.getReasonPhrase(), detail, uri);
        return status == 405 ? Response.fromResponse(answer).allow(allowed).build() : answer;
    }

    @ServerExceptionMapper
    public Response unexpected(Exception e, UriInfo uri) {
        // No internals leak to the client; the log has them.
        LOG.error("unexpected failure", e);
        return problem(500, "Internal Error", "the control plane failed to handle the request", uri);
    }

    static Response problem(int status, String title, String detail, UriInfo uri) {
        String slug = title.toLowerCase().replace(' ', '-');
        return Response.status(status)
                .type(Problem.MEDIA_TYPE)
                .entity(new Problem("urn:unum:problem:" + slug, title, status, detail,
                        uri == null ? null : uri.getPath()))
                .build();
    }
}
