package io.unum.controlplane.join;

import java.time.Instant;

/**
 * A join token as etcd keeps it ({@code /unum/join-tokens/<id>}): the SHA-256 of the whole token
 * in hex, never the token, so neither a copy of etcd nor a heap dump gives one away.
 */
public record StoredJoinToken(String id, String sha256, Instant createdAt, Instant expiresAt, String createdBy) {
}
