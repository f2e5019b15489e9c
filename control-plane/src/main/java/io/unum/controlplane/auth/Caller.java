package io.unum.controlplane.auth;

/**
 * Who made a request: the role of the token presented and the token's fingerprint (a prefix of
 * its SHA-256 hash), which tells the audit log's reader which token it was without revealing it.
 */
public record Caller(Role role, String tokenId) {
    /** How the audit log names the caller, e.g. {@code admin (token sha256:1a2b3c4d)}. */
    public String describe() {
        return role.name().toLowerCase(java.util.Locale.ROOT) + " (token " + tokenId + ")";
    }
}
