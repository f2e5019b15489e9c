package io.unum.pki;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/**
 * PKCS#10 certificate signing requests. An agent sends one to join; the CA takes from it only the
 * public key, after checking the request is signed with the matching private key. Who the
 * certificate is for comes from the authenticated join, never from the request's subject.
 */
public final class SigningRequest {
    private static final String PEM_TYPE = "CERTIFICATE REQUEST";

    private SigningRequest() {
    }

    /** A PEM signing request for {@code pair}'s public key, signed with its private key. */
    public static String create(KeyPair pair, String name) {
        try {
            byte[] der = new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=" + name), pair.getPublic())
                    .build(new JcaContentSignerBuilder(Keys.SIGNATURE).build(pair.getPrivate()))
                    .getEncoded();
            return Pem.block(PEM_TYPE, der);
        } catch (OperatorCreationException | IOException e) {
            throw new IllegalStateException("cannot make a signing request", e);
        }
    }

    /** The public key of a PEM signing request whose signature is valid; IllegalArgumentException otherwise. */
    public static PublicKey verifiedKey(String pem) {
        try {
            PKCS10CertificationRequest request = new PKCS10CertificationRequest(Pem.der(pem, PEM_TYPE));
            if (!X9ObjectIdentifiers.id_ecPublicKey.equals(request.getSubjectPublicKeyInfo().getAlgorithm().getAlgorithm())) {
                throw new IllegalArgumentException("the signing request's key is not an EC key");
            }
            // By name, not by OID: the JDK's providers know EC keys only as "EC".
            PublicKey key = KeyFactory.getInstance(Keys.ALGORITHM)
                    .generatePublic(new X509EncodedKeySpec(request.getSubjectPublicKeyInfo().getEncoded()));
            if (!request.isSignatureValid(new JcaContentVerifierProviderBuilder().build(key))) {
                throw new IllegalArgumentException("the signing request's signature does not match its key");
            }
            return key;
        } catch (IOException | RuntimeException e) {
            if (e instanceof IllegalArgumentException iae) {
                throw iae;
            }
            throw new IllegalArgumentException("not a PKCS#10 signing request: " + e.getMessage(), e);
        } catch (OperatorCreationException | PKCSException | GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot check the signing request: " + e.getMessage(), e);
        }
    }
}
