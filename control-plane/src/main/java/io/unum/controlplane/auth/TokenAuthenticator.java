package io.unum.controlplane.auth;

import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * Maps a bearer token to its caller. The admin and viewer tokens are kept only as SHA-256
 * hashes, and a presented token is hashed and compared with every one of them in constant time
 * ({@link MessageDigest#isEqual}), so neither a heap dump nor response timing gives a token away.
 * The bootstrap join token is recognised only to tell its bearer where it belongs (Enroll, on the
 * agent port); it opens nothing here ({@link io.unum.controlplane.join.JoinTokens} checks it there).
 */
@ApplicationScoped
public class TokenAuthenticator {
    private record Known(byte[] hash, Role role) {
    }

    private final List<Known> known = new ArrayList<>();
    private final String joinToken;

    public TokenAuthenticator(AuthConfig config) {
        this.joinToken = config.joinToken();
        if (joinToken.length() < 16) {
            throw new IllegalArgumentException("unum.auth.join-token must be at least 16 characters");
        }
        config.adminTokens().orElse(List.of()).forEach(t -> known.add(new Known(sha256(t), Role.ADMIN)));
        config.viewerTokens().orElse(List.of()).forEach(t -> known.add(new Known(sha256(t), Role.VIEWER)));
        known.add(new Known(sha256(joinToken), Role.AGENT));
    }

    /** Who presents this token, if anyone; the first match in admin, viewer, join order wins. */
    public Optional<Caller> callerOf(String token) {
        if (token == null || token.isEmpty()) {
            return Optional.empty();
        }
        byte[] presented = sha256(token);
        Known found = null;
        // Every candidate is compared, so the time taken does not tell which one matched.
        for (Known k : known) {
            if (MessageDigest.isEqual(presented, k.hash()) && found == null) {
                found = k;
            }
        }
        return found == null ? Optional.empty() : Optional.of(new Caller(found.role(), fingerprint(presented)));
    }

    /** A short, stable name for a token in the audit log that does not reveal it. */
    private static String fingerprint(byte[] hash) {
        return "sha256:" + HexFormat.of().formatHex(hash, 0, 4);
    }

    private static byte[] sha256(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
