package io.unum.pki;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;

/** Key pairs of the cluster: EC P-256, made by the JDK (fast, and read by every TLS stack involved). */
public final class Keys {
    static final String ALGORITHM = "EC";
    static final String SIGNATURE = "SHA256withECDSA";

    private Keys() {
    }

    public static KeyPair generate() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance(ALGORITHM);
            g.initialize(new ECGenParameterSpec("secp256r1"));
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("no EC P-256 in this JDK", e);
        }
    }
}
