package io.unum.controlplane.process;

import io.unum.api.model.ProcessInfo;
import io.unum.controlplane.error.UnumException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * One page of the process table, in gpid order, and the token of the next one when more remain.
 * The token is opaque to clients (it names the last gpid served, so a page never repeats or skips
 * a record that existed throughout, whatever was created or deleted meanwhile).
 */
public record ProcessPage(List<ProcessInfo> items, Optional<String> next) {
    public static final int MAX_LIMIT = 10_000;
    private static final String PREFIX = "after:";

    /** The limit query parameter (absent: everything), or a 400 that says what it may be. */
    public static int limit(String requested) {
        if (requested == null || requested.isBlank()) {
            return Integer.MAX_VALUE;
        }
        try {
            return limit(Integer.parseInt(requested.trim()));
        } catch (NumberFormatException e) {
            throw UnumException.invalidRequest("limit '" + requested + "' is not a number; use 1 to " + MAX_LIMIT);
        }
    }

    /** A requested page size, or a 400 that says the range. */
    public static int limit(int requested) {
        if (requested < 1 || requested > MAX_LIMIT) {
            throw UnumException.invalidRequest("limit " + requested + " is out of range; use 1 to " + MAX_LIMIT);
        }
        return requested;
    }

    /** The gpid a continue token names (0 for none), or a 400 for a token this API did not issue. */
    public static int afterGpid(String token) {
        if (token == null || token.isBlank()) {
            return 0;
        }
        try {
            return after(token);
        } catch (IllegalArgumentException e) {
            throw UnumException.invalidRequest("continue token '" + token + "' is not one this API issued; "
                    + "pass the one the previous page gave");
        }
    }

    static String token(int lastGpid) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString((PREFIX + lastGpid).getBytes(StandardCharsets.UTF_8));
    }

    private static int after(String token) {
        String decoded = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
        if (!decoded.startsWith(PREFIX)) {
            throw new IllegalArgumentException(token);
        }
        int gpid = Integer.parseInt(decoded.substring(PREFIX.length()));
        if (gpid < 0) {
            throw new IllegalArgumentException(token);
        }
        return gpid;
    }
}
