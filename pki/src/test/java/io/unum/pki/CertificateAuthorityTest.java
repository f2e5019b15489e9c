package io.unum.pki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertificateAuthorityTest {

    @Test
    void signsTheKeyOfAValidRequestForTheIdentityItIsTold(@TempDir Path dir) throws Exception {
        CertificateAuthority ca = CertificateAuthority.create("test-ca", Duration.ofDays(1));
        ca.write(dir.resolve("ca.crt"), dir.resolve("ca.key"));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("ca.key"))));
        CertificateAuthority loaded = CertificateAuthority.load(dir.resolve("ca.crt"), dir.resolve("ca.key"));

        KeyPair agent = Keys.generate();
        // The request's own subject is not trusted: the identity comes from the caller.
        String csr = SigningRequest.create(agent, "control-plane");
        X509Certificate cert = loaded.issue(Identity.agent("node-1"), SigningRequest.verifiedKey(csr),
                List.of("127.0.0.1", "node-1.example"), Duration.ofHours(1));

        cert.verify(ca.certificate().getPublicKey());
        assertEquals(Optional.of(Identity.agent("node-1")), Identity.of(cert));
        assertEquals(agent.getPublic(), cert.getPublicKey());
        assertTrue(cert.getSubjectAlternativeNames().stream().anyMatch(n -> n.get(1).equals("127.0.0.1")));
        assertEquals(Pem.certificate(cert), Pem.certificate(Pem.parseCertificate(Pem.certificate(cert))));
    }

    @Test
    void refusesARequestNotSignedByItsKey() {
        String csr = SigningRequest.create(Keys.generate(), "x");
        String tampered = csr.replace(csr.substring(100, 104), "AAAA");
        assertThrows(IllegalArgumentException.class, () -> SigningRequest.verifiedKey(tampered));
        assertThrows(IllegalArgumentException.class, () -> SigningRequest.verifiedKey("no pem here"));
    }
}
