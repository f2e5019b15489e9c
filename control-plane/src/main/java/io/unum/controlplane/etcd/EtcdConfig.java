package io.unum.controlplane.etcd;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

@ConfigMapping(prefix = "unum.etcd")
public interface EtcdConfig {
    /** etcd client URLs, e.g. http://127.0.0.1:2379. */
    List<String> endpoints();

    /** How long one etcd call may take before the API answers 503. */
    @WithDefault("5s")
    Duration timeout();

    /** Key prefix under which Unum keeps everything. */
    @WithDefault("/unum/")
    String prefix();

    /** TLS to etcd (https endpoints): the CA that signed etcd's certificate, and this client's certificate. */
    Tls tls();

    interface Tls {
        /** The CA etcd's server certificate is checked against (PEM). */
        Optional<String> caCert();

        /** The control plane's client certificate for etcd (PEM); etcd started with --client-cert-auth requires one. */
        Optional<String> cert();

        /** The private key of {@link #cert()} (PEM, PKCS#8). */
        Optional<String> key();
    }
}
