package io.unum.agent.auth;

import io.grpc.ChannelCredentials;
import io.grpc.ServerCredentials;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import io.unum.api.grpc.EnrollRequest;
import io.unum.api.grpc.EnrollResponse;
import io.unum.pki.CaCertHash;
import io.unum.pki.Identity;
import io.unum.pki.Keys;
import io.unum.pki.Pem;
import io.unum.pki.SigningRequest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.logging.Logger;

/**
 * The agent's identity in the cluster: a key it made itself and a certificate the control plane
 * signed with the cluster CA when the agent joined, kept in {@code <state-dir>/tls} (0700, files
 * 0600) so that a restarted agent is the same agent without the join token. The agent serves its
 * gRPC with it, requiring a certificate of the same CA from every caller, and shows it to the
 * agents it pushes images to.
 */
public final class AgentTls {
    private static final Logger LOG = Logger.getLogger(AgentTls.class.getName());
    /** A certificate this close to its end is replaced at start-up rather than left to expire under a running agent. */
    private static final Duration RENEW_BEFORE = Duration.ofDays(7);
    private static final String NO_TRUST = "joining needs the cluster CA, to check that the control plane is the one "
            + "the join token is for: --ca-cert-hash sha256:<hex> (`unum join-token create` prints it; on a control-plane "
            + "host: openssl x509 -pubkey -noout -in ca.crt | openssl pkey -pubin -outform der | sha256sum) or "
            + "--ca-file with the CA's certificate";

    private final Path key;
    private final Path certificate;
    private final Path ca;

    private AgentTls(Path dir) {
        this.key = dir.resolve("agent.key");
        this.certificate = dir.resolve("agent.crt");
        this.ca = dir.resolve("ca.crt");
    }

    /**
     * The identity kept in {@code stateDir} if it is still good for {@code node} at {@code host};
     * otherwise a new key, signed through {@code enroll} (the control plane's Enroll, with the join token).
     */
    public static AgentTls obtain(Path stateDir, String node, String host, Function<EnrollRequest, EnrollResponse> enroll) {
        Path dir = stateDir.resolve("tls");
        AgentTls tls = new AgentTls(dir);
        Optional<String> stale = tls.whyNotUsable(node, host);
        if (stale.isEmpty()) {
            LOG.info("TLS identity: the certificate in " + dir);
            return tls;
        }
        LOG.info("joining the cluster for a certificate (" + stale.get() + ")");
        KeyPair pair = Keys.generate();
        EnrollResponse signed = enroll.apply(EnrollRequest.newBuilder()
                .setNode(node)
                .setHost(host)
                .setCsrPem(SigningRequest.create(pair, node))
                .build());
        X509Certificate cert = Pem.parseCertificate(signed.getCertificatePem());
        if (!cert.getPublicKey().equals(pair.getPublic())) {
            throw new IllegalStateException("the control plane signed another key than ours");
        }
        try {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir, e);
        }
        // The key first: a certificate without its key would be taken for a usable identity.
        Pem.write(tls.ca, signed.getCaCertificatePem());
        Pem.write(tls.key, Pem.privateKey(pair.getPrivate()));
        Pem.write(tls.certificate, signed.getCertificatePem());
        LOG.info("joined: certificate for " + Identity.of(cert).map(Identity::toString).orElse("?") + " valid until "
                + cert.getNotAfter().toInstant());
        return tls;
    }

    private Optional<String> whyNotUsable(String node, String host) {
        if (!Files.isRegularFile(key) || !Files.isRegularFile(certificate) || !Files.isRegularFile(ca)) {
            return Optional.of("none kept yet");
        }
        try {
            X509Certificate cert = Pem.readCertificate(certificate);
            Pem.readPrivateKey(key);
            if (!Identity.of(cert).equals(Optional.of(Identity.agent(node)))) {
                return Optional.of("the kept certificate is for " + Identity.of(cert).map(Identity::toString).orElse("?"));
            }
            if (cert.getNotAfter().toInstant().isBefore(Instant.now().plus(RENEW_BEFORE))) {
                return Optional.of("the kept certificate ends " + cert.getNotAfter().toInstant());
            }
            if (!names(cert).contains(host)) {
                return Optional.of("the kept certificate does not name " + host);
            }
            return Optional.empty();
        } catch (RuntimeException e) {
            return Optional.of("the kept certificate cannot be read: " + e.getMessage());
        }
    }

    private static List<String> names(X509Certificate cert) {
        try {
            Collection<List<?>> sans = cert.getSubjectAlternativeNames();
            return sans == null ? List.of() : sans.stream().map(n -> String.valueOf(n.get(1))).toList();
        } catch (CertificateParsingException e) {
            return List.of();
        }
    }

    /** For the agent's server: its certificate, and a certificate of the cluster CA required of every caller. */
    public ServerCredentials serverCredentials() {
        try {
            return TlsServerCredentials.newBuilder()
                    .keyManager(certificate.toFile(), key.toFile())
                    .trustManager(ca.toFile())
                    .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE)
                    .build();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load the agent's TLS identity", e);
        }
    }

    /**
     * For joining, before the agent has anything of its own: the control plane's certificate checked
     * against {@code caFile} (the cluster CA's certificate) or against the CA of {@code caCertHash}
     * found in the chain it shows. With neither the agent cannot tell the control plane from whoever
     * answers at its address, and would hand that the join token, so it does not join. Everything
     * after joining checks the CA it received.
     */
    public static ChannelCredentials joiningCredentials(Path caFile, CaCertHash caCertHash) {
        if (caFile == null && caCertHash == null) {
            throw new IllegalStateException(NO_TRUST);
        }
        try {
            TlsChannelCredentials.Builder b = TlsChannelCredentials.newBuilder();
            if (caFile != null) {
                b.trustManager(caFile.toFile());
            } else {
                b.trustManager(new PinnedCaTrustManager(caCertHash));
            }
            return b.build();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the cluster CA " + caFile, e);
        }
    }

    /**
     * For calls to other agents and to the control plane's agent port: this agent's certificate, and
     * theirs checked against the cluster CA (and the host dialled).
     */
    /**
     * A short name of the cluster this agent belongs to (from its CA's certificate), for what the
     * agents of one cluster share on a host and two clusters on one host must not.
     */
    public String clusterTag() {
        try {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(java.nio.file.Files.readAllBytes(ca));
            return java.util.HexFormat.of().formatHex(digest, 0, 8);
        } catch (java.io.IOException | java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("cannot read the cluster CA " + ca + ": " + e.getMessage(), e);
        }
    }

    public ChannelCredentials channelCredentials() {
        try {
            return TlsChannelCredentials.newBuilder()
                    .keyManager(certificate.toFile(), key.toFile())
                    .trustManager(ca.toFile())
                    .build();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load the agent's TLS identity", e);
        }
    }
}
