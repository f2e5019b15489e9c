package io.unum.controlplane.node;

import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.unum.pki.Identity;

/**
 * Who is calling on the agent port, as {@link AgentPortInterceptor} found out: the node its
 * verified certificate names, or, for {@code Enroll} only, the bearer token it presented.
 */
public final class AgentPeer {
    /** The node agent whose certificate (of the cluster CA, OU=agent) the TLS session verified. */
    static final Context.Key<Identity> IDENTITY = Context.key("unum-agent-identity");
    /** The bearer token of an {@code Enroll} call, to be checked against the join tokens. */
    static final Context.Key<String> JOIN_TOKEN = Context.key("unum-join-token");

    private AgentPeer() {
    }

    /**
     * The node the current call's certificate names; refuses a call that names another node than
     * its certificate. Call on the gRPC thread (the Context does not follow to other executors).
     */
    public static String requireNode(String named) {
        Identity who = IDENTITY.get();
        if (who == null) {
            throw Status.UNAUTHENTICATED.withDescription(
                    "node agents call this on the control plane's agent port with their certificate").asRuntimeException();
        }
        if (!who.name().equals(named)) {
            throw denied(who, named);
        }
        return who.name();
    }

    /** The node the current call's certificate names, for calls that speak only for their caller's node. */
    public static String callerNode() {
        Identity who = IDENTITY.get();
        if (who == null) {
            throw Status.UNAUTHENTICATED.withDescription(
                    "node agents call this on the control plane's agent port with their certificate").asRuntimeException();
        }
        return who.name();
    }

    private static StatusRuntimeException denied(Identity who, String named) {
        return Status.PERMISSION_DENIED.withDescription("this call names node '" + named + "' but the certificate belongs to node '"
                + who.name() + "': an agent may speak only for its own node").asRuntimeException();
    }
}
