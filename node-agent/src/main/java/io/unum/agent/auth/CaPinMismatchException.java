package io.unum.agent.auth;

import io.unum.pki.CaCertHash;
import java.security.cert.CertificateException;
import java.util.Optional;

/**
 * The control plane's chain holds no CA of the hash the agent was given: either the hash is
 * wrong or someone else answered at the control plane's address. Thrown in the TLS handshake,
 * and found again under the failed call ({@link #in}) so that the agent can stop and say so
 * instead of retrying as if no control plane were up.
 */
public final class CaPinMismatchException extends CertificateException {
    CaPinMismatchException(CaCertHash expected, String seen) {
        super("the control plane's certificate is not of the CA given by --ca-cert-hash: expected " + expected
                + ", the server showed " + seen + ". Check the hash (`unum join-token create` prints it) and the "
                + "--control-plane address; the join token was not sent");
    }

    /** The mismatch among {@code failure}'s causes, if that is why it failed. */
    public static Optional<CaPinMismatchException> in(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof CaPinMismatchException m) {
                return Optional.of(m);
            }
        }
        return Optional.empty();
    }
}
