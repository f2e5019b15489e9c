package io.unum.testing;

import io.unum.pki.CertificateAuthority;
import io.unum.pki.Identity;
import io.unum.pki.Keys;
import io.unum.pki.Pem;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * The certificates of a local cluster, made by the launcher in {@code <cluster dir>/pki} (0700,
 * every file 0600), as an operator or cert-manager would supply them in production:
 * <ul>
 * <li>the cluster CA ({@code ca.crt}, {@code ca.key}): the control planes sign agents' keys with it
 *     when they join, and every agent and control plane checks its peers against it;</li>
 * <li>the control planes' certificate ({@code control-plane.crt}, {@code .key}), shown to agents;</li>
 * <li>etcd's own CA, whose key is thrown away once it has issued etcd's server certificate
 *     ({@code etcd-server.crt}) and the one client certificate ({@code etcd-client.crt}), which only
 *     the control planes get: no agent certificate, and nothing else, opens etcd.</li>
 * </ul>
 */
public final class ClusterPki {
    private static final Duration VALIDITY = Duration.ofDays(365);
    /** Every server of a local cluster listens on loopback. */
    private static final List<String> LOCAL_HOSTS = List.of("127.0.0.1", "localhost");

    private final Path dir;

    private ClusterPki(Path dir) {
        this.dir = dir;
    }

    /** Makes the CA and certificates in {@code dir} unless they are already there (a restarted cluster keeps them). */
    public static ClusterPki createIn(Path dir) {
        ClusterPki pki = new ClusterPki(dir);
        if (!java.nio.file.Files.isRegularFile(pki.etcdClientKey())) {
            PrivateFiles.directory(dir);
            CertificateAuthority ca = CertificateAuthority.create("unum-cluster-ca", VALIDITY);
            ca.write(pki.caCert(), pki.caKey());
            issue(ca, Identity.controlPlane(), pki.controlPlaneCert(), pki.controlPlaneKey());
            CertificateAuthority etcdCa = CertificateAuthority.create("unum-etcd-ca", VALIDITY);
            Pem.write(pki.etcdCaCert(), Pem.certificate(etcdCa.certificate()));
            issue(etcdCa, new Identity("etcd", "etcd"), pki.etcdServerCert(), pki.etcdServerKey());
            issue(etcdCa, Identity.controlPlane(), pki.etcdClientCert(), pki.etcdClientKey());
        }
        return pki;
    }

    private static void issue(CertificateAuthority ca, Identity who, Path certFile, Path keyFile) {
        KeyPair pair = Keys.generate();
        Pem.write(keyFile, Pem.privateKey(pair.getPrivate()));
        Pem.write(certFile, Pem.certificate(ca.issue(who, pair.getPublic(), LOCAL_HOSTS, VALIDITY)));
    }

    public Path dir() {
        return dir;
    }

    public Path caCert() {
        return dir.resolve("ca.crt");
    }

    public Path caKey() {
        return dir.resolve("ca.key");
    }

    public Path controlPlaneCert() {
        return dir.resolve("control-plane.crt");
    }

    public Path controlPlaneKey() {
        return dir.resolve("control-plane.key");
    }

    public Path etcdCaCert() {
        return dir.resolve("etcd-ca.crt");
    }

    public Path etcdServerCert() {
        return dir.resolve("etcd-server.crt");
    }

    public Path etcdServerKey() {
        return dir.resolve("etcd-server.key");
    }

    public Path etcdClientCert() {
        return dir.resolve("etcd-client.crt");
    }

    public Path etcdClientKey() {
        return dir.resolve("etcd-client.key");
    }

    /** For the launcher's own HTTPS calls to etcd (health, and tools that count etcd writes): the control planes' etcd client certificate. */
    public SSLContext etcdClientContext() {
        return sslContext(etcdClientCert(), etcdClientKey(), etcdCaCert());
    }

    /** A TLS context that shows {@code cert} (with {@code key}) and trusts {@code ca} alone; all PEM files. */
    public static SSLContext sslContext(Path cert, Path key, Path ca) {
        try {
            char[] none = new char[0];
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(null, none);
            keys.setKeyEntry("me", Pem.readPrivateKey(key), none, new X509Certificate[] {Pem.readCertificate(cert)});
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, none);
            KeyStore trusted = KeyStore.getInstance("PKCS12");
            trusted.load(null, none);
            trusted.setCertificateEntry("ca", Pem.readCertificate(ca));
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trusted);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot load " + cert + " and " + key, e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
