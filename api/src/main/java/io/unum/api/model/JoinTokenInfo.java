package io.unum.api.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;

/**
 * A join token as {@code GET /api/v1/join-tokens} lists it: never the secret, which the control
 * plane does not keep (only its SHA-256 hash).
 *
 * @param id the token's public part (the secret is {@code <id>.<random>}); what {@code DELETE} takes
 * @param createdAt when it was created
 * @param expiresAt after this instant agents can no longer join with it
 * @param createdBy the admin token that created it, by role and fingerprint
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record JoinTokenInfo(String id, Instant createdAt, Instant expiresAt, String createdBy) {
}
