package io.unum.pki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class CaCertHashTest {

    @Test
    void isTheSha256OfTheCertificatesSubjectPublicKeyInfo() throws Exception {
        CertificateAuthority ca = CertificateAuthority.create("test-ca", Duration.ofDays(1));
        // For the named-curve EC keys the cluster CA uses, the JDK's encoding is the certificate's SPKI.
        String expected = "sha256:" + HexFormat.of().formatHex(
                MessageDigest.getInstance("SHA-256").digest(ca.certificate().getPublicKey().getEncoded()));
        CaCertHash hash = CaCertHash.of(ca.certificate());
        assertEquals(expected, hash.toString());
        assertTrue(hash.matches(ca.certificate()));
        assertFalse(hash.matches(CertificateAuthority.create("other-ca", Duration.ofDays(1)).certificate()));
        assertEquals(hash, CaCertHash.parse("  " + expected.toUpperCase(java.util.Locale.ROOT) + "\n"));
    }

    @Test
    void refusesWhatIsNotASha256Pin() {
        for (String bad : new String[] {"", "sha256:", "sha256:abc", "md5:" + "0".repeat(32), "0".repeat(64),
                "sha256:" + "g".repeat(64), "sha256:" + "0".repeat(65)}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CaCertHash.parse(bad), bad);
            assertTrue(e.getMessage().contains("sha256:<64 hex digits>"), e.getMessage());
        }
    }
}
