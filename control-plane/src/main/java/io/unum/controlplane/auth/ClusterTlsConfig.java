package io.unum.controlplane.auth;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/**
 * The cluster CA and the control plane's own certificate, all PEM files. Agents accept calls only
 * over mutual TLS with certificates of this CA; without these settings the control plane can
 * neither enrol an agent nor call one.
 */
@ConfigMapping(prefix = "unum.tls")
public interface ClusterTlsConfig {
    /** The cluster CA's certificate: what agents' certificates are checked against. */
    Optional<String> caCert();

    /** The cluster CA's private key (PKCS#8): signs an agent's key when it joins. */
    Optional<String> caKey();

    /** The control plane's certificate, issued by the cluster CA with OU=control-plane; shown to agents. */
    Optional<String> cert();

    /** The private key of {@link #cert()}. */
    Optional<String> key();

    /**
     * The agent port: node agents call the agent registry here over TLS (Enroll with a join token,
     * everything else with their certificate). Their {@code --control-plane} names it.
     */
    @WithDefault("9091")
    int agentPort();

    /** The address the agent port listens on; default: {@code quarkus.grpc.server.host} (127.0.0.1). */
    Optional<String> agentHost();

    /** How long an agent's certificate is valid; an agent whose certificate is near its end joins again. */
    @WithDefault("365d")
    Duration agentCertValidity();
}
