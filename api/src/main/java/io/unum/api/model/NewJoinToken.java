package io.unum.api.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;

/**
 * Answer of {@code POST /api/v1/join-tokens}: the only time the secret is shown.
 *
 * @param id the token's public part, for listing and deleting it
 * @param token the secret an agent joins with ({@code --join-token-file}); shown once, kept only as a hash
 * @param expiresAt after this instant it can no longer be used to join
 * @param caCertHash the cluster CA's {@code sha256:<hex>} hash, which a joining agent checks the control plane
 *     against ({@code --ca-cert-hash}); absent when this control plane has no cluster CA (it cannot enrol agents then)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record NewJoinToken(String id, String token, Instant expiresAt, String caCertHash) {
}
