package io.unum.controlplane.error;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.runtime.configuration.MemorySize;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;
import io.unum.api.model.Problem;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.Map;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * The HTTP edge, before JAX-RS: the refusals Vert.x and Quarkus would otherwise answer with an
 * empty body or an HTML page (URI too long, headers too large, body too large, characters that
 * must be percent-encoded, no route) become {@code application/problem+json} with a detail that
 * says what to fix, like every refusal {@link ProblemMapper} answers.
 *
 * <p>Netty's own request decoder is given limits well above the ones checked here
 * ({@code quarkus.http.limits.max-initial-line-length} and {@code max-header-size} in
 * application.properties), so an oversize request reaches this check instead of Vert.x's
 * body-less answer. Still answered with a bare status, before any handler Quarkus lets an
 * application install: what Netty's decoder refuses (a request line it cannot parse, characters
 * RFC 3986 forbids, a malformed Content-Length, sizes beyond the outer limits; Quarkus 3.37 does
 * not expose Vert.x's {@code invalidRequestHandler}). A target {@code java.net.URI} cannot parse
 * (such as {@code //}) is refused here, since {@link io.unum.controlplane.ControlPlaneMain}
 * switches off Quarkus's own bare-400 check of it.
 */
@ApplicationScoped
public class HttpEdge {
    private static final Logger LOG = Logger.getLogger(HttpEdge.class);
    /** Micrometer's Prometheus endpoint (quarkus.micrometer.export.prometheus.path's default). */
    private static final String METRICS = "/q/metrics";
    /** Longest request target (path and query) accepted. */
    static final int MAX_URI_LENGTH = 4096;
    /** Most bytes all header lines together may have. */
    static final int MAX_HEADER_BYTES = 20 * 1024;

    private final ObjectMapper mapper;
    private final long maxBodyBytes;

    public HttpEdge(ObjectMapper mapper, @ConfigProperty(name = "quarkus.http.limits.max-body-size") MemorySize maxBody) {
        this.mapper = mapper;
        this.maxBodyBytes = maxBody.asLongValue();
    }

    void install(@Observes Router router) {
        // First of all routes, ahead of Quarkus's own body-size check (which answers without a body).
        router.route().order(Integer.MIN_VALUE).handler(this::check).failureHandler(this::failed);
        for (int status : new int[] {400, 404, 405, 406, 413, 414, 415, 431, 500}) {
            router.errorHandler(status, ctx -> failed(ctx, status, null));
        }
    }

    private void check(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        String uri = request.uri();
        if (uri.length() > MAX_URI_LENGTH) {
            answer(ctx, 414, "URI Too Long", "the request target is " + uri.length() + " characters; at most "
                    + MAX_URI_LENGTH + " are accepted. Send long input in a request body instead");
            return;
        }
        int headerBytes = 0;
        for (Map.Entry<String, String> h : request.headers()) {
            headerBytes += h.getKey().length() + h.getValue().length() + 4;
        }
        if (headerBytes > MAX_HEADER_BYTES) {
            answer(ctx, 431, "Request Header Fields Too Large", "the request headers are " + headerBytes
                    + " bytes; at most " + MAX_HEADER_BYTES + " are accepted");
            return;
        }
        String badTarget = RequestTargets.problem(uri);
        if (badTarget == null) {
            badTarget = RequestTargets.unparseable(uri);
        }
        if (badTarget != null) {
            answer(ctx, 400, "Bad Request", badTarget);
            return;
        }
        if (request.method() == HttpMethod.HEAD && isEventStream(ctx.normalizedPath())) {
            // Quarkus would open the stream and never end it, holding the connection: a client that
            // reuses connections would wait forever for its next answer.
            ctx.response().putHeader("Allow", "GET");
            answer(ctx, 405, "Method Not Allowed", "HEAD is not offered on event streams; GET " + request.path()
                    + " to follow it");
            return;
        }
        if (request.path().startsWith(METRICS) && request.method() != HttpMethod.GET && request.method() != HttpMethod.HEAD) {
            ctx.response().putHeader("Allow", "GET, HEAD");
            answer(ctx, 405, "Method Not Allowed", "the metrics are read with GET");
            return;
        }
        if (request.path().startsWith(METRICS) && !acceptsExactly(ctx, "*/*", "text/plain", "application/openmetrics-text")) {
            // Micrometer's route matches these exactly and answers anything else (even a range such
            // as application/* that would admit one of them) with an empty 406.
            answer(ctx, 406, "Not Acceptable", "the metrics are text/plain or application/openmetrics-text;"
                    + " fix the Accept header (name one of them, or */*)");
            return;
        }
        String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        if (length != null) {
            long bytes = parseLength(length);
            if (bytes < 0) {
                answer(ctx, 400, "Bad Request", "Content-Length '" + length + "' is not a byte count");
                return;
            }
            if (bytes > maxBodyBytes && !isUpload(request)) {
                answer(ctx, 413, "Content Too Large", "the request body is " + bytes + " bytes; at most "
                        + maxBodyBytes + " are accepted");
                return;
            }
        }
        ctx.next();
    }

    /** File uploads stream their bodies to an agent (fs.FsUploadRoute): they may be as big as the file. */
    private static boolean isUpload(HttpServerRequest request) {
        return request.method() == HttpMethod.PUT && request.path().startsWith(io.unum.controlplane.fs.FsUploadRoute.PREFIX);
    }

    private void failed(RoutingContext ctx) {
        Throwable failure = ctx.failure();
        if (failure instanceof UnauthorizedException || failure instanceof AuthenticationFailedException) {
            ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"unum\"");
            answer(ctx, 401, "Unauthorized", "send a valid token as 'Authorization: Bearer <token>'");
            return;
        }
        if (failure instanceof ForbiddenException) {
            answer(ctx, 403, "Forbidden", "this action needs the admin role; your token has the viewer role");
            return;
        }
        int status = failure instanceof HttpException http ? http.getStatusCode()
                : ctx.statusCode() > 0 ? ctx.statusCode() : 500;
        failed(ctx, status, failure);
    }

    private void failed(RoutingContext ctx, int status, Throwable failure) {
        if (ctx.response().headWritten()) {
            // Too late for a problem body: the answer began before the failure.
            ctx.response().reset();
            return;
        }
        if (status >= 500) {
            if (failure != null) {
                LOG.error("request failed", failure);
            }
            answer(ctx, 500, "Internal Error", "the control plane failed to handle the request");
            return;
        }
        answer(ctx, status, title(status), switch (status) {
            case 404 -> "nothing is at " + ctx.request().path() + "; the API is under /api/v1 (see /q/openapi)";
            case 405 -> ctx.request().method() + " is not allowed on " + ctx.request().path();
            case 406 -> "this resource answers application/json (errors: application/problem+json); fix the Accept header";
            case 413 -> "the request body is larger than the " + maxBodyBytes + " bytes accepted";
            case 415 -> "send the body as Content-Type: application/json";
            default -> failure instanceof HttpException http && http.getPayload() != null ? http.getPayload()
                    : "the request could not be read; check its method, target, headers and body";
        });
    }

    private void answer(RoutingContext ctx, int status, String title, String detail) {
        Problem problem = new Problem("urn:unum:problem:" + title.toLowerCase(java.util.Locale.ROOT).replace(' ', '-'),
                title, status, detail, ctx.request().path());
        String body;
        try {
            body = mapper.writeValueAsString(problem);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a Problem always serializes", e);
        }
        ctx.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, Problem.MEDIA_TYPE);
        if (status == 413 || status == 414 || status == 431) {
            // The rest of an oversize request is not read; the connection cannot be reused.
            ctx.response().putHeader(HttpHeaders.CONNECTION, "close");
            ctx.response().endHandler(done -> ctx.request().connection().close());
        }
        ctx.response().end(body);
    }

    /**
     * A path JAX-RS would route to an event stream: as the router normalizes it (dot segments,
     * escapes), and without the trailing slashes JAX-RS ignores (FuzzTest seed 6331852833381: a
     * HEAD on {@code /api/v1/processes/events/} opened a stream that held its connection).
     */
    static boolean isEventStream(String path) {
        String p = path;
        while (p.length() > 1 && p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        return p.startsWith("/api/") && (p.endsWith("/events") || p.endsWith("/stream"));
    }

    /** Whether the Accept header is absent or names one of the media types itself (parameters aside). */
    private static boolean acceptsExactly(RoutingContext ctx, String... types) {
        String accept = ctx.request().getHeader("Accept");
        if (accept == null || accept.isBlank()) {
            return true;
        }
        for (String range : accept.split(",")) {
            String wanted = range.split(";", 2)[0].trim().toLowerCase(java.util.Locale.ROOT);
            for (String type : types) {
                if (wanted.equals(type)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static long parseLength(String value) {
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static String title(int status) {
        return switch (status) {
            case 400 -> "Bad Request";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 406 -> "Not Acceptable";
            case 413 -> "Content Too Large";
            case 414 -> "URI Too Long";
            case 415 -> "Unsupported Media Type";
            case 431 -> "Request Header Fields Too Large";
            default -> "Error";
        };
    }
}
