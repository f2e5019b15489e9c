package io.unum.controlplane.auth;

import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Optional;

/** Maps a bearer token to its role, comparing in constant time. */
@ApplicationScoped
public class TokenAuthenticator {
    private final List<String> adminTokens;
    private final List<String> viewerTokens;
    private final String joinToken;

    public TokenAuthenticator(AuthConfig config) {
        this.adminTokens = config.adminTokens().orElse(List.of());
        this.viewerTokens = config.viewerTokens().orElse(List.of());
        this.joinToken = config.joinToken();
        if (joinToken.length() < 16) {
            throw new IllegalArgumentException("unum.auth.join-token must be at least 16 characters");
        }
    }

    public Optional<Role> roleOf(String token) {
        if (token == null || token.isEmpty()) {
            return Optional.empty();
        }
        if (matchesAny(token, adminTokens)) {
            return Optional.of(Role.ADMIN);
        }
        if (matchesAny(token, viewerTokens)) {
            return Optional.of(Role.VIEWER);
        }
        if (matches(token, joinToken)) {
            return Optional.of(Role.AGENT);
        }
        return Optional.empty();
    }

    public String joinToken() {
        return joinToken;
    }

    private static boolean matchesAny(String token, List<String> candidates) {
        boolean found = false;
        for (String c : candidates) {
            found |= matches(token, c);
        }
        return found;
    }

    private static boolean matches(String token, String candidate) {
        return MessageDigest.isEqual(token.getBytes(StandardCharsets.UTF_8), candidate.getBytes(StandardCharsets.UTF_8));
    }
}
