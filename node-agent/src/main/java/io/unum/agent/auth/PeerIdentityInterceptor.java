package io.unum.agent.auth;

import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.unum.pki.Identity;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Logger;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Lets a call through by who the caller's certificate says it is (TLS already checked it was issued
 * by the cluster CA): the control plane may call everything; another agent only what agents send
 * each other (images, shared memory pages, file system blocks). A bearer token counts for nothing here.
 */
public final class PeerIdentityInterceptor implements ServerInterceptor {
    private static final Logger LOG = Logger.getLogger(PeerIdentityInterceptor.class.getName());
    private final RevokedCertificates revoked;

    public PeerIdentityInterceptor(RevokedCertificates revoked) {
        this.revoked = revoked;
    }

    /** What one agent calls on another. */
    private static final Set<String> AGENT_TO_AGENT = Set.of("unum.v1.ImageAgentService/ReceiveImage",
            "unum.v1.ShmPageService/Acquire", "unum.v1.ShmPageService/Install", "unum.v1.ShmPageService/Revoke",
            "unum.v1.FsBlockService/GetBlock", "unum.v1.FsBlockService/PutBlock", "unum.v1.FsBlockService/CopyBlock");

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        String method = call.getMethodDescriptor().getFullMethodName();
        Optional<Identity> peer = peer(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
        if (peer.isEmpty()) {
            return refuse(call, Status.UNAUTHENTICATED.withDescription("a certificate of the cluster CA is required"), method, "no identity");
        }
        Identity who = peer.get();
        if (who.role().equals(Identity.AGENT) && revokedPeer(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION))) {
            return refuse(call, Status.PERMISSION_DENIED.withDescription("the certificate of " + who + " was revoked"), method,
                    who.toString());
        }
        boolean allowed = who.role().equals(Identity.CONTROL_PLANE)
                || who.role().equals(Identity.AGENT) && AGENT_TO_AGENT.contains(method);
        if (!allowed) {
            return refuse(call, Status.PERMISSION_DENIED.withDescription(who + " may not call " + method), method, who.toString());
        }
        return next.startCall(call, headers);
    }

    private boolean revokedPeer(SSLSession session) {
        try {
            Certificate[] chain = session.getPeerCertificates();
            return chain.length > 0 && chain[0] instanceof X509Certificate cert && revoked.contains(cert);
        } catch (SSLPeerUnverifiedException e) {
            return false;
        }
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

    private static <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, Status status, String method, String who) {
        LOG.warning("refused " + method + " from " + who);
        call.close(status, new Metadata());
        return new ServerCall.Listener<>() {
        };
    }
}
