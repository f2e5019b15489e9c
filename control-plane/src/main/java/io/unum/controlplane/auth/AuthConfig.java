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

    /** Secret shared with node agents: they present it, and the control plane presents it to them. */
    String joinToken();
}
