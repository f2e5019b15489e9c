package io.unum.controlplane.auth;

import io.smallrye.config.ConfigMapping;
import java.util.List;
import java.util.Optional;

@ConfigMapping(prefix = "unum.auth")
public interface AuthConfig {
    /** Bearer tokens with the admin role (read and change everything). */
    Optional<List<String>> adminTokens();

    /** Bearer tokens with the viewer role (read only). */
    Optional<List<String>> viewerTokens();

    /**
     * The bootstrap join token: agents present it to {@code Enroll} (and nowhere else) to get their
     * certificate. Admins create short-lived ones besides (`unum join-token create`).
     */
    String joinToken();

    /**
     * How long the bootstrap join token may be used, from when a control plane first saw it (kept
     * in etcd, so a restart does not renew it); unset: no expiry.
     */
    Optional<java.time.Duration> bootstrapJoinTokenTtl();
}
