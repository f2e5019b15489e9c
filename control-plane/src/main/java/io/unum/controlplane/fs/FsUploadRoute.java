package io.unum.controlplane.fs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import io.unum.api.grpc.WriteFileHeader;
import io.unum.api.grpc.WriteFileRequest;
import io.unum.api.model.FsEntryInfo;
import io.unum.api.model.Problem;
import io.unum.controlplane.auth.Caller;
import io.unum.controlplane.auth.Role;
import io.unum.controlplane.auth.TokenAuthenticator;
import io.unum.controlplane.error.UnumException;
import io.unum.controlplane.etcd.EtcdConflictException;
import io.unum.controlplane.etcd.EtcdUnavailableException;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * {@code PUT /api/v1/fs/files/{path}}: an upload of any size, streamed to a node agent's WriteFile.
 * A route of its own, ahead of Quarkus's body-size limit and of REST (which would want the body
 * whole): the request is paused whenever the agent's stream is not ready, so TCP's flow control
 * holds the uploader back and this replica keeps a window of bytes, never the file.
 * Query: mode (octal, 0644), replicas (0 inherits), parents, overwrite (true).
 */
@ApplicationScoped
public class FsUploadRoute {
    /** Where uploads go; {@link io.unum.controlplane.error.HttpEdge} lets their bodies past the size limit. */
    public static final String PREFIX = "/api/v1/fs/files/";
    private static final Logger LOG = Logger.getLogger(FsUploadRoute.class);
    /** Bytes gathered from the request before they go to the agent as one message (Vert.x hands over a few KiB at a time). */
    private static final int MESSAGE_BYTES = 256 * 1024;
    /** Before Quarkus's upload limit (RouteConstants.ROUTE_ORDER_UPLOAD_LIMIT, -2), after error.HttpEdge's checks. */
    private static final int ORDER = -3;

    private final TokenAuthenticator tokens;
    private final FsTransfer transfer;
    private final FsOperations operations;
    private final ObjectMapper mapper;

    public FsUploadRoute(TokenAuthenticator tokens, FsTransfer transfer, FsOperations operations, ObjectMapper mapper) {
        this.tokens = tokens;
        this.transfer = transfer;
        this.operations = operations;
        this.mapper = mapper;
    }

    void install(@Observes Router router) {
        router.put(PREFIX + "*").order(ORDER).handler(this::upload);
    }

    private void upload(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        request.pause();
        String header = request.getHeader("Authorization");
        String token = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7) ? header.substring(7).trim() : null;
        Optional<Caller> caller = tokens.callerOf(token);
        if (caller.isEmpty() || caller.get().role() == Role.AGENT) {
            ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"unum\"");
            problem(ctx, 401, "Unauthorized", "send a valid token as 'Authorization: Bearer <token>'");
            return;
        }
        if (caller.get().role() != Role.ADMIN) {
            problem(ctx, 403, "Forbidden", "this action needs the admin role; your token has the viewer role");
            return;
        }
        WriteFileHeader h;
        try {
            h = header(ctx);
        } catch (UnumException e) {
            fail(ctx, e);
            return;
        }
        ctx.vertx().<Boolean>executeBlocking(() -> {
            boolean existed = transfer.checkWrite(h);
            transfer.audited(caller.get().describe(), h);
            return existed;
        }, false).onComplete(checked -> {
            if (checked.failed()) {
                fail(ctx, checked.cause());
                return;
            }
            ctx.vertx().executeBlocking(() -> transfer.writer(transfer.readyAgent()), false).onComplete(stub -> {
                if (stub.failed()) {
                    fail(ctx, stub.cause());
                    return;
                }
                new HttpRelay(ctx, h, checked.result()).start(stub.result());
            });
        });
    }

    private static WriteFileHeader header(RoutingContext ctx) {
        String path = "/" + ctx.request().path().substring(PREFIX.length());
        try {
            path = java.net.URLDecoder.decode(path.replace("+", "%2B"), java.nio.charset.StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw UnumException.invalidRequest("the path is not valid percent-encoding");
        }
        FsOperations.path(path);
        int replicas;
        try {
            replicas = Integer.parseInt(Optional.ofNullable(ctx.request().getParam("replicas")).orElse("0"));
        } catch (NumberFormatException e) {
            throw UnumException.invalidRequest("replicas must be a number from 1 to 9 (0: inherit)");
        }
        return WriteFileHeader.newBuilder().setPath(path)
                .setMode(FsResource.mode(ctx.request().getParam("mode"), 0644))
                .setReplicas(replicas)
                .setMakeParents(flag(ctx, "parents", false))
                .setNoReplace(!flag(ctx, "overwrite", true))
                .build();
    }

    private static boolean flag(RoutingContext ctx, String name, boolean fallback) {
        String v = ctx.request().getParam(name);
        if (v == null) {
            return fallback;
        }
        if (v.equalsIgnoreCase("true") || v.equalsIgnoreCase("false")) {
            return Boolean.parseBoolean(v);
        }
        throw UnumException.invalidRequest(name + " must be true or false, not '" + v + "'");
    }

    /** Moves the request's body to the agent, pausing it while the agent is not ready. */
    private final class HttpRelay implements AgentWrite.Listener {
        private final RoutingContext ctx;
        private final WriteFileHeader header;
        private final boolean existed;
        private final io.vertx.core.Context loop = io.vertx.core.Vertx.currentContext();
        private AgentWrite agent;
        private boolean paused = true;
        private boolean over;
        private io.vertx.core.buffer.Buffer gathered = io.vertx.core.buffer.Buffer.buffer();

        HttpRelay(RoutingContext ctx, WriteFileHeader header, boolean existed) {
            this.ctx = ctx;
            this.header = header;
            this.existed = existed;
        }

        void start(io.unum.api.grpc.FsBlockServiceGrpc.FsBlockServiceStub stub) {
            HttpServerRequest request = ctx.request();
            synchronized (this) {
                agent = new AgentWrite(stub, this);
                agent.send(WriteFileRequest.newBuilder().setHeader(header).build());
            }
            request.handler(buffer -> {
                synchronized (this) {
                    if (over) {
                        return;
                    }
                    gathered.appendBuffer(buffer);
                    if (gathered.length() >= MESSAGE_BYTES && !sendGathered()) {
                        paused = true;
                        request.pause();
                    }
                }
            });
            request.endHandler(v -> {
                synchronized (this) {
                    if (!over) {
                        sendGathered();
                        agent.finish();
                    }
                }
            });
            request.exceptionHandler(e -> {
                synchronized (this) {
                    if (!over) {
                        over = true;
                        agent.cancel("the upload failed", e);
                    }
                }
            });
            ctx.response().closeHandler(v -> {
                synchronized (this) {
                    if (!over) {
                        over = true;
                        agent.cancel("the uploader went away", null);
                    }
                }
            });
            ready();
        }

        /** Sends what was gathered; whether the agent takes more now. */
        private boolean sendGathered() {
            if (gathered.length() == 0) {
                return agent.isReady();
            }
            boolean more = agent.send(WriteFileRequest.newBuilder().setData(ByteString.copyFrom(gathered.getBytes())).build());
            gathered = io.vertx.core.buffer.Buffer.buffer();
            return more;
        }

        @Override
        public synchronized void ready() {
            if (paused && !over && agent != null && agent.isReady()) {
                paused = false;
                loop.runOnContext(v -> ctx.request().resume());
            }
        }

        @Override
        public void finished() {
            loop.executeBlocking(() -> operations.stat(FsOperations.path(header.getPath())), false).onComplete(stat -> {
                synchronized (this) {
                    over = true;
                }
                if (stat.failed()) {
                    fail(ctx, stat.cause());
                    return;
                }
                FsEntryInfo info = stat.result();
                HttpServerResponse response = ctx.response().setStatusCode(existed ? 200 : 201)
                        .putHeader("Content-Type", "application/json");
                if (!existed) {
                    response.putHeader("Location", "/api/v1/fs/stat" + info.path());
                }
                try {
                    response.end(mapper.writeValueAsString(info));
                } catch (JsonProcessingException e) {
                    fail(ctx, e);
                }
            });
        }

        @Override
        public void failed(Throwable error) {
            synchronized (this) {
                if (over) {
                    return;
                }
                over = true;
            }
            loop.runOnContext(v -> fail(ctx, FsTransfer.refusal(FsTransfer.status(error))));
        }
    }

    private void fail(RoutingContext ctx, Throwable e) {
        if (e instanceof UnumException u) {
            problem(ctx, u.kind().httpStatus(), u.kind().title(), u.getMessage());
        } else if (e instanceof EtcdUnavailableException) {
            problem(ctx, 503, "Store Unavailable", "the cluster store (etcd) is unavailable; retry shortly");
        } else if (e instanceof EtcdConflictException) {
            problem(ctx, 409, "Conflict", e.getMessage());
        } else {
            LOG.error("upload failed", e);
            problem(ctx, 500, "Internal Error", "the control plane failed to handle the request");
        }
    }

    private void problem(RoutingContext ctx, int status, String title, String detail) {
        HttpServerResponse response = ctx.response();
        if (response.ended() || response.headWritten()) {
            return;
        }
        // An unread request body would be taken for the next request on this connection.
        response.putHeader("Connection", "close");
        try {
            response.setStatusCode(status).putHeader("Content-Type", Problem.MEDIA_TYPE)
                    .end(mapper.writeValueAsString(new Problem("urn:unum:problem:" + title.toLowerCase().replace(' ', '-'), title,
                            status, detail, ctx.request().path())));
        } catch (JsonProcessingException e) {
            response.setStatusCode(500).end();
        }
    }
}
