package io.unum.pki;

import java.security.cert.X509Certificate;
import java.util.Objects;
import java.util.Optional;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * Who a certificate of the cluster CA speaks for: a role ({@link #CONTROL_PLANE}, {@link #AGENT},
 * ...) in the subject's OU, and a name (an agent's node name) in its CN.
 */
public record Identity(String role, String name) {
    public static final String CONTROL_PLANE = "control-plane";
    public static final String AGENT = "agent";

    public Identity {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(name, "name");
        if (!name.matches("[A-Za-z0-9._-]{1,253}") || !role.matches("[a-z-]{1,63}")) {
            throw new IllegalArgumentException("not a name for a certificate: " + role + "/" + name);
        }
    }

    public static Identity controlPlane() {
        return new Identity(CONTROL_PLANE, CONTROL_PLANE);
    }

    public static Identity agent(String nodeName) {
        return new Identity(AGENT, nodeName);
    }

    /** The subject the CA writes: {@code CN=name,OU=role,O=unum}. */
    String subject() {
        return "CN=" + name + ",OU=" + role + ",O=unum";
    }

    /** The identity a certificate's subject names, if it has the form the cluster CA writes. */
    public static Optional<Identity> of(X509Certificate certificate) {
        String cn = null;
        String ou = null;
        try {
            for (Rdn rdn : new LdapName(certificate.getSubjectX500Principal().getName()).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN")) {
                    cn = rdn.getValue().toString();
                } else if (rdn.getType().equalsIgnoreCase("OU")) {
                    ou = rdn.getValue().toString();
                }
            }
            return cn == null || ou == null ? Optional.empty() : Optional.of(new Identity(ou, cn));
        } catch (InvalidNameException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    @Override
    public String toString() {
        return role + " " + name;
    }
}
