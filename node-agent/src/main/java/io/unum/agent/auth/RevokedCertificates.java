package io.unum.agent.auth;

import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.Set;

/**
 * Agent certificates that no longer count, as the control plane said at the last heartbeat (a
 * removed node's, a replaced one): another agent showing one is refused, though the CA signed it.
 */
public final class RevokedCertificates {
    private volatile Set<String> serials = Set.of();

    public void replace(Collection<String> revoked) {
        serials = Set.copyOf(revoked);
    }

    public boolean contains(X509Certificate cert) {
        return serials.contains(cert.getSerialNumber().toString(16));
    }
}
