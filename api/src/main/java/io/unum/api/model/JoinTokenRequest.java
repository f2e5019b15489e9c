package io.unum.api.model;

/**
 * Body of {@code POST /api/v1/join-tokens}; may be empty.
 *
 * @param ttlSeconds how long the token may be used to join, from 1 second to 24 hours (default 1 hour)
 */
public record JoinTokenRequest(Long ttlSeconds) {
}
