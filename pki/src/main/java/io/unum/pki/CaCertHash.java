package io.unum.pki;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.Locale;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.x509.Certificate;

/**
 * A CA pinned by the SHA-256 of its certificate's DER-encoded SubjectPublicKeyInfo, written
 * {@code sha256:<64 hex digits>}: the same value and form as kubeadm's
 * {@code --discovery-token-ca-cert-hash}, so the same openssl line computes both. A joining agent
 * that holds only this short string can still check the control plane's certificate chain.
 */
public record CaCertHash(String value) {
    private static final String PREFIX = "sha256:";

    public CaCertHash {
        if (!value.matches(PREFIX + "[0-9a-f]{64}")) {
            throw new IllegalArgumentException("'" + value + "' is not a CA certificate hash: expected sha256:<64 hex digits>");
        }
    }

    /** Accepts upper-case hex too, as people paste it. */
    public static CaCertHash parse(String text) {
        return new CaCertHash(text.strip().toLowerCase(Locale.ROOT));
    }

    /**
     * The hash of {@code certificate}'s public key, taken from the certificate's own bytes: the JDK's
     * {@code PublicKey.getEncoded()} re-encodes the key, and a re-encoding need not match what a CA wrote.
     */
    public static CaCertHash of(X509Certificate certificate) {
        try {
            byte[] spki = Certificate.getInstance(certificate.getEncoded()).getSubjectPublicKeyInfo().getEncoded(ASN1Encoding.DER);
            return new CaCertHash(PREFIX + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(spki)));
        } catch (CertificateEncodingException e) {
            throw new IllegalArgumentException("cannot encode the certificate", e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public boolean matches(X509Certificate certificate) {
        return equals(of(certificate));
    }

    @Override
    public String toString() {
        return value;
    }
}
