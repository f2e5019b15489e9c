package io.unum.controlplane.error;

/**
 * Whether a request target (the path and query of the request line) is well formed: characters
 * that must be percent-encoded (RFC 3986) are, and every {@code %} starts a two-digit escape.
 * Characters that browsers send as they are ({@code | [ ] ^} in paths, and also
 * {@code { } `} in queries) are let through so that no real client is refused.
 */
final class RequestTargets {
    private RequestTargets() {
    }

    /** What is wrong with the target, or null when nothing is. */
    static String problem(String target) {
        int start = 0;
        if (target.startsWith("http://") || target.startsWith("https://")) {
            // Absolute form (sent to proxies): only its path and query are checked.
            int slash = target.indexOf('/', target.indexOf("//") + 2);
            if (slash < 0) {
                return null;
            }
            start = slash;
        } else if (!target.startsWith("/")) {
            return "the request target '" + abbreviate(target) + "' must be a path starting with '/'";
        }
        boolean inQuery = false;
        for (int i = start; i < target.length(); i++) {
            char c = target.charAt(i);
            if (c == '?') {
                inQuery = true;
            } else if (c == '%') {
                if (i + 2 >= target.length() || !isHex(target.charAt(i + 1)) || !isHex(target.charAt(i + 2))) {
                    return "'%' at position " + i + " of the request target does not start an escape like %2F;"
                            + " send a literal '%' as %25";
                }
                i += 2;
            } else if (mustBeEncoded(c, inQuery)) {
                return "the request target holds " + describe(c) + " at position " + i + ", which must be"
                        + " percent-encoded" + (c < 0x80 ? String.format(" as %%%02X", (int) c) : " (as UTF-8 bytes)");
            }
        }
        return null;
    }

    /**
     * What {@code java.net.URI} finds wrong with the target, or null when it parses. Quarkus and
     * RESTEasy read targets as URIs; one that does not parse (such as {@code //}, an empty
     * authority) must not reach them.
     */
    static String unparseable(String target) {
        try {
            new java.net.URI(target);
            return null;
        } catch (java.net.URISyntaxException e) {
            return "the request target '" + abbreviate(target) + "' is not a valid URI: " + e.getReason()
                    + " at index " + e.getIndex() + " (a path cannot begin with //; characters such as [ ] | ^"
                    + " must be percent-encoded)";
        }
    }

    private static boolean mustBeEncoded(char c, boolean inQuery) {
        if (c <= 0x20 || c >= 0x7F) {
            return true;
        }
        return switch (c) {
            case '"', '#', '<', '>', '\\' -> true;
            case '`', '{', '}' -> !inQuery;
            default -> false;
        };
    }

    private static boolean isHex(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    private static String describe(char c) {
        String code = String.format("U+%04X", (int) c);
        return c > 0x20 && c < 0x7F ? "'" + c + "' (" + code + ")" : "the character " + code;
    }

    private static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 60) + "…";
    }
}
