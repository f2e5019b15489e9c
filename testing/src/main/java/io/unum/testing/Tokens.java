package io.unum.testing;

import java.security.SecureRandom;
import java.util.HexFormat;

/** Random bearer tokens for a local cluster. */
public final class Tokens {
    private static final SecureRandom RANDOM = new SecureRandom();

    private Tokens() {
    }

    /** 32 hex characters (128 bits) from {@link SecureRandom}. */
    public static String random() {
        byte[] bytes = new byte[16];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }
}
