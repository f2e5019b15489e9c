package io.unum.agent.auth;

import io.unum.pki.CaCertHash;
import java.io.IOException;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.stream.Collectors;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Trusts the control plane's certificate when an agent joins with only the cluster CA's hash
 * ({@code --ca-cert-hash}), as {@code kubeadm join --discovery-token-ca-cert-hash} does: the chain
 * shown must carry a CA certificate with that hash, and that CA then checks the chain as a CA file
 * would, with the JDK's own trust manager (signatures, validity and the host dialled). So the pin
 * only chooses the trust anchor; it never skips a check. A refusal fails the TLS handshake, before
 * the join token (call credentials, sent with the first request) leaves the agent.
 */
final class PinnedCaTrustManager extends X509ExtendedTrustManager {
    private final CaCertHash pin;

    PinnedCaTrustManager(CaCertHash pin) {
        this.pin = pin;
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        anchoredAtThePin(chain).checkServerTrusted(chain, authType, engine);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        anchoredAtThePin(chain).checkServerTrusted(chain, authType, socket);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        anchoredAtThePin(chain).checkServerTrusted(chain, authType);
    }

    /** The pin vouches for servers only: an agent's server trusts the CA file it received at joining. */
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        throw new CertificateException("a CA hash does not check clients");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        throw new CertificateException("a CA hash does not check clients");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException("a CA hash does not check clients");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
    }

    /** The JDK's trust manager with the chain's CA of the pinned hash as its only anchor. */
    private X509ExtendedTrustManager anchoredAtThePin(X509Certificate[] chain) throws CertificateException {
        X509Certificate ca = Arrays.stream(chain)
                .filter(c -> c.getBasicConstraints() >= 0 && pin.matches(c))
                .findFirst()
                .orElseThrow(() -> new CaPinMismatchException(pin, seen(chain)));
        try {
            KeyStore anchors = KeyStore.getInstance(KeyStore.getDefaultType());
            anchors.load(null, null);
            anchors.setCertificateEntry("pinned-ca", ca);
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(anchors);
            return Arrays.stream(factory.getTrustManagers())
                    .filter(X509ExtendedTrustManager.class::isInstance)
                    .map(X509ExtendedTrustManager.class::cast)
                    .findFirst()
                    .orElseThrow(() -> new CertificateException("the JDK offers no X509 trust manager"));
        } catch (GeneralSecurityException | IOException e) {
            throw new CertificateException("cannot trust the pinned CA", e);
        }
    }

    /** The CA certificates of the chain, by hash and subject, for the refusal. */
    private static String seen(X509Certificate[] chain) {
        String cas = Arrays.stream(chain)
                .filter(c -> c.getBasicConstraints() >= 0)
                .map(c -> CaCertHash.of(c) + " (" + c.getSubjectX500Principal().getName() + ")")
                .collect(Collectors.joining(", "));
        return cas.isEmpty() ? "no CA certificate in its chain" : cas;
    }
}
