package io.unum.controlplane.auth;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.quarkus.grpc.GlobalInterceptor;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Set;

/**
 * Authenticates every call on the public gRPC port with the same tokens as REST: viewers may only
 * read; changes, reading the audit log and join tokens need the admin role. The agents' services
 * are refused here to everyone: agents call them on the agent port, with their certificate
 * ({@link io.unum.controlplane.node.AgentApiServer}), and the join token opens nothing here.
 */
@GlobalInterceptor
@ApplicationScoped
public class GrpcAuthInterceptor implements ServerInterceptor {
    /** The authenticated caller of the current call, for the audit log. */
    public static final Context.Key<Caller> CALLER = Context.key("unum-caller");
    private static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    private static final Set<String> AGENT_SERVICES = Set.of("unum.v1.AgentRegistryService", "unum.v1.NodeProfileService",
            "unum.v1.ShmRegistryService", "unum.v1.FsMetadataService");
    private static final Set<String> ADMIN_METHODS = Set.of(
            "unum.v1.ProcessService/SpawnProcess",
            "unum.v1.ProcessService/SignalProcess",
            "unum.v1.ProcessService/UpdateCapabilities",
            "unum.v1.MigrationService/MigrateProcess",
            "unum.v1.CheckpointService/CreateCheckpoint",
            "unum.v1.CheckpointService/RestartCheckpoint",
            "unum.v1.CheckpointService/DeleteCheckpoint",
            "unum.v1.SchedulerService/SetPolicy",
            "unum.v1.AuditService/ListAuditEntries",
            "unum.v1.JoinTokenService/CreateJoinToken",
            "unum.v1.JoinTokenService/ListJoinTokens",
            "unum.v1.JoinTokenService/DeleteJoinToken",
            "unum.v1.ShmService/RemoveSegment",
            "unum.v1.NodeService/RemoveNode",
            "unum.v1.FsService/WriteFile",
            "unum.v1.FsService/MakeDirectory",
            "unum.v1.FsService/RemovePath",
            "unum.v1.FsService/SetReplicas");

    private final TokenAuthenticator tokens;

    public GrpcAuthInterceptor(TokenAuthenticator tokens) {
        this.tokens = tokens;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        String header = headers.get(AUTHORIZATION);
        String token = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7) ? header.substring(7).trim() : null;
        Caller caller = tokens.callerOf(token).orElse(null);
        Role role = caller == null ? null : caller.role();
        String method = call.getMethodDescriptor().getFullMethodName();
        String service = call.getMethodDescriptor().getServiceName();
        if (role == null) {
            return refuse(call, Status.UNAUTHENTICATED.withDescription(
                    "send a valid token as metadata 'authorization: Bearer <token>'"));
        }
        boolean agentCall = AGENT_SERVICES.contains(service);
        if (agentCall && role == Role.AGENT) {
            return refuse(call, Status.UNAUTHENTICATED.withDescription("node agents call " + service
                    + " on the control plane's agent port (unum.tls.agent-port) over TLS: Enroll with the join token, "
                    + "everything else with the agent's certificate"));
        }
        if (agentCall != (role == Role.AGENT)) {
            return refuse(call, Status.PERMISSION_DENIED.withDescription(agentCall
                    ? "only node agents (with their certificate, on the agent port) may call " + service
                    : "the join token is for node agents joining (Enroll, on the agent port) only"));
        }
        if (role == Role.VIEWER && ADMIN_METHODS.contains(method)) {
            return refuse(call, Status.PERMISSION_DENIED.withDescription(
                    "this action needs the admin role; your token has the viewer role"));
        }
        return Contexts.interceptCall(Context.current().withValue(CALLER, caller), call, headers, next);
    }

    private static <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, Status status) {
        call.close(status, new Metadata());
        return new ServerCall.Listener<>() {
        };
    }
}
