package io.unum.controlplane.node;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.unum.api.grpc.AgentRegistryServiceGrpc;
import io.unum.pki.Identity;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Optional;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.jboss.logging.Logger;

/**
 * Authenticates calls on the agent port. {@code Enroll} is the one call a caller without a
 * certificate may make: it carries the join token, which the service checks. Every other call
 * needs a node agent's certificate of the cluster CA (TLS verified it); its CN is the node the call
 * may speak for ({@link AgentPeer#requireNode}). A bearer token counts for nothing there.
 */
final class AgentPortInterceptor implements ServerInterceptor {
    private static final Logger LOG = Logger.getLogger(AgentPortInterceptor.class);
    private final CertificateRevocations revocations;

    AgentPortInterceptor(CertificateRevocations revocations) {
        this.revocations = revocations;
    }

    private static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    private static final String ENROLL = AgentRegistryServiceGrpc.getEnrollMethod().getFullMethodName();

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        String method = call.getMethodDescriptor().getFullMethodName();
        if (method.equals(ENROLL)) {
            String header = headers.get(AUTHORIZATION);
            String token = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7) ? header.substring(7).trim() : null;
            return Contexts.interceptCall(Context.current().withValue(AgentPeer.JOIN_TOKEN, token), call, headers, next);
        }
        SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
        Optional<Identity> peer = peer(session);
        Optional<String> serial = serial(session);
        if (serial.isPresent() && revocations.isRevoked(serial.get())) {
            return refuse(call, Status.PERMISSION_DENIED.withDescription("this certificate was revoked (its node was removed "
                    + "or it was replaced); join again with a join token"), method, peer.map(Identity::toString).orElse("?"));
        }
        if (peer.isEmpty()) {
            return refuse(call, Status.UNAUTHENTICATED.withDescription("a node agent's certificate of the cluster CA is required; "
                    + "the join token is accepted by Enroll only"), method, "a caller without a certificate");
        }
        if (!peer.get().role().equals(Identity.AGENT)) {
            return refuse(call, Status.PERMISSION_DENIED.withDescription(peer.get() + " is not a node agent"), method,
                    peer.get().toString());
        }
        return Contexts.interceptCall(Context.current().withValue(AgentPeer.IDENTITY, peer.get()), call, headers, next);
    }

    private static Optional<Identity> peer(SSLSession session) {
        if (session == null) {
            return Optional.empty();
        }
        try {
            Certificate[] chain = session.getPeerCertificates();
            return chain.length > 0 && chain[0] instanceof X509Certificate cert ? Identity.of(cert) : Optional.empty();
        } catch (SSLPeerUnverifiedException e) {
            return Optional.empty();
        }
    }

    private static Optional<String> serial(SSLSession session) {
        if (session == null) {
            return Optional.empty();
        }
        try {
            Certificate[] chain = session.getPeerCertificates();
            return chain.length > 0 && chain[0] instanceof X509Certificate cert
                    ? Optional.of(CertificateRevocations.serial(cert)) : Optional.empty();
        } catch (SSLPeerUnverifiedException e) {
            return Optional.empty();
        }
    }

    private static <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, Status status, String method, String who) {
        LOG.warnf("refused %s from %s: %s", method, who, status.getDescription());
        call.close(status, new Metadata());
        return new ServerCall.Listener<>() {
        };
    }
}
