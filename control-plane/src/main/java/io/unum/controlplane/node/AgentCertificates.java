package io.unum.controlplane.node;

import io.unum.api.grpc.EnrollRequest;
import io.unum.api.grpc.EnrollResponse;
import io.unum.controlplane.auth.ClusterTlsConfig;
import io.unum.controlplane.error.UnumException;
import io.unum.pki.CertificateAuthority;
import io.unum.pki.Identity;
import io.unum.pki.Pem;
import io.unum.pki.SigningRequest;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.file.Path;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * Signs the keys of joining agents with the cluster CA. The caller has shown a join token
 * ({@link io.unum.controlplane.join.JoinTokens} checked it); the certificate names the node and host the request gives, and is
 * what the agent then proves itself with — the join token is no key to any agent.
 */
@ApplicationScoped
public class AgentCertificates {
    private static final Logger LOG = Logger.getLogger(AgentCertificates.class);

    private final ClusterTlsConfig config;
    private volatile CertificateAuthority ca;

    private final CertificateRevocations revocations;

    public AgentCertificates(ClusterTlsConfig config, CertificateRevocations revocations) {
        this.revocations = revocations;
        this.config = config;
    }

    /** {@code joinToken} names the join token the caller showed (already checked), for the log. */
    public EnrollResponse enroll(EnrollRequest request, String joinToken) {
        Identity who;
        try {
            who = Identity.agent(request.getNode());
        } catch (IllegalArgumentException e) {
            throw UnumException.invalidRequest("node must be 1-253 letters, digits, '.', '_' or '-'");
        }
        if (request.getHost().isBlank() || !request.getHost().matches("[A-Za-z0-9.:_-]{1,253}")) {
            throw UnumException.invalidRequest("host must be the IP address or DNS name the agent is reached at");
        }
        PublicKey key;
        try {
            key = SigningRequest.verifiedKey(request.getCsrPem());
        } catch (IllegalArgumentException e) {
            throw UnumException.invalidRequest("csr_pem: " + e.getMessage());
        }
        CertificateAuthority authority = authority();
        X509Certificate cert = authority.issue(who, key, List.of(request.getHost()), config.agentCertValidity());
        LOG.infof("signed a certificate for %s at %s, valid until %s (join token %s)", who, request.getHost(),
                cert.getNotAfter().toInstant(), joinToken);
        revocations.issued(who.name(), CertificateRevocations.serial(cert), cert.getNotAfter().toInstant());
        return EnrollResponse.newBuilder()
                .setCertificatePem(Pem.certificate(cert))
                .setCaCertificatePem(Pem.certificate(authority.certificate()))
                .build();
    }

    private CertificateAuthority authority() {
        CertificateAuthority a = ca;
        if (a == null) {
            if (config.caCert().isEmpty() || config.caKey().isEmpty()) {
                throw UnumException.invalidState("this control plane has no cluster CA (unum.tls.ca-cert, unum.tls.ca-key): it cannot enrol agents");
            }
            a = CertificateAuthority.load(Path.of(config.caCert().get()), Path.of(config.caKey().get()));
            ca = a;
        }
        return a;
    }
}
