package io.unum.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.grpc.CallCredentials;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.unum.api.grpc.DescribeProcessRequest;
import io.unum.api.grpc.ImageAgentServiceGrpc;
import io.unum.api.grpc.NodeAgentServiceGrpc;
import io.unum.api.grpc.Presence;
import io.unum.api.grpc.StartProcessRequest;
import io.unum.client.Json;
import io.unum.pki.CertificateAuthority;
import io.unum.pki.Identity;
import io.unum.pki.Keys;
import io.unum.pki.Pem;
import io.unum.testing.AgentProcess;
import io.unum.testing.ClusterPki;
import io.unum.testing.LocalCluster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.Executor;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 10, findings 2 and 3: the join token opens no agent, only a certificate of the cluster CA
 * does (and the control plane's alone starts processes); etcd answers the control planes'
 * certificate only, so a local user cannot inject a record.
 */
@Timeout(180)
class ClusterTlsTest {
    private static LocalCluster cluster;
    private static AgentProcess agent;
    private static ClusterPki pki;

    @BeforeAll
    static void startCluster() {
        cluster = LocalCluster.builder().controlPlanes(1).agents(1).build().start();
        agent = cluster.agent(0);
        pki = cluster.pki();
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void noCallerWithoutTheControlPlanesCertificateStartsAProcessOnAnAgentStolenJoinTokenOrNot() throws Exception {
        Path marker = cluster.dir().resolve("started-by-an-intruder");
        StartProcessRequest asRoot = StartProcessRequest.newBuilder().setGpid(999_999).setUser("")
                .addAllArgv(List.of("touch", marker.toString())).setCwd("/").build();
        CertificateAuthority otherCa = CertificateAuthority.create("another-ca", Duration.ofDays(1));
        List<ChannelCredentials> refusedAtTls = List.of(
                InsecureChannelCredentials.create(),
                trusting(pki.caCert()),
                withCertificate(otherCa, Identity.controlPlane()),
                withCertificate(otherCa, Identity.agent("node-9")));
        for (ChannelCredentials credentials : refusedAtTls) {
            for (CallCredentials token : List.of(bearer(cluster.joinToken()), bearer("none"))) {
                StatusRuntimeException e = withChannel(credentials, channel -> assertThrows(StatusRuntimeException.class,
                        () -> NodeAgentServiceGrpc.newBlockingStub(channel).withCallCredentials(token)
                                .withDeadlineAfter(10, java.util.concurrent.TimeUnit.SECONDS).startProcess(asRoot)));
                assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), "refused in the TLS handshake: " + e.getStatus());
            }
        }
        // Another agent of the cluster may push it images, not start processes on it.
        StatusRuntimeException agentCall = withChannel(withCertificate(clusterCa(), Identity.agent("node-2")),
                channel -> assertThrows(StatusRuntimeException.class, () -> NodeAgentServiceGrpc.newBlockingStub(channel)
                        .withCallCredentials(bearer(cluster.joinToken())).startProcess(asRoot)));
        assertEquals(Status.Code.PERMISSION_DENIED, agentCall.getStatus().getCode());
        assertFalse(Files.exists(marker), "nothing ran");
        // The control plane's certificate does open it: the refusals above are about who called.
        Presence presence = withChannel(withCertificate(clusterCa(), Identity.controlPlane()), channel -> ImageAgentServiceGrpc
                .newBlockingStub(channel).describeProcess(DescribeProcessRequest.newBuilder().setGpid(999_999).build()).getPresence());
        assertEquals(Presence.PRESENCE_ABSENT, presence);
    }

    @Test
    void anUnprivilegedUserCannotReadAKeyOfTheCluster() throws Exception {
        for (Path key : List.of(pki.caKey(), pki.controlPlaneKey(), pki.etcdClientKey(), agent.stateDir().resolve("tls/agent.key"))) {
            assertTrue(Files.isRegularFile(key), key.toString());
            Process cat = new ProcessBuilder("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "cat", key.toString())
                    .redirectErrorStream(true).start();
            String out = new String(cat.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertNotEquals(0, cat.waitFor(), "nobody read " + key + ": " + out);
            assertFalse(out.contains("PRIVATE KEY"), out);
        }
    }

    @Test
    void etcdRefusesEveryClientButTheControlPlanesSoNoRecordCanBeInjected() throws Exception {
        String endpoint = cluster.etcd().endpoint();
        assertTrue(endpoint.startsWith("https://"), endpoint);
        String key = "/unum/processes/424242";
        String put = "{\"key\":\"" + b64(key) + "\",\"value\":\"" + b64("{\"state\":\"RUNNING\",\"user\":\"root\"}") + "\"}";
        // Plain HTTP, TLS without a certificate, an agent's certificate (cluster CA, not etcd's CA).
        Path agentTls = agent.stateDir().resolve("tls");
        List<HttpClient> intruders = List.of(
                HttpClient.newHttpClient(),
                HttpClient.newBuilder().sslContext(trustOnly(pki.etcdCaCert())).build(),
                HttpClient.newBuilder().sslContext(ClusterPki.sslContext(agentTls.resolve("agent.crt"),
                        agentTls.resolve("agent.key"), pki.etcdCaCert())).build());
        List<String> endpoints = List.of(endpoint.replace("https://", "http://"), endpoint, endpoint);
        for (int i = 0; i < intruders.size(); i++) {
            HttpClient http = intruders.get(i);
            String url = endpoints.get(i) + "/v3/kv/put";
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
                        .POST(HttpRequest.BodyPublishers.ofString(put)).build(), HttpResponse.BodyHandlers.ofString());
                assertNotEquals(200, r.statusCode(), "intruder " + i + " wrote to etcd: " + r.body());
            } catch (IOException refused) {
                // the handshake failed: refused
            }
        }
        HttpClient controlPlane = HttpClient.newBuilder().sslContext(pki.etcdClientContext()).build();
        HttpResponse<String> range = controlPlane.send(HttpRequest.newBuilder(URI.create(endpoint + "/v3/kv/range"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"key\":\"" + b64(key) + "\"}")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, range.statusCode(), range.body());
        JsonNode kvs = Json.read(range.body(), JsonNode.class).path("kvs");
        assertTrue(kvs.isMissingNode() || kvs.isEmpty(), "a record was injected: " + range.body());
    }

    private static CertificateAuthority clusterCa() {
        return CertificateAuthority.load(pki.caCert(), pki.caKey());
    }

    private static ChannelCredentials trusting(Path ca) throws IOException {
        return TlsChannelCredentials.newBuilder().trustManager(ca.toFile()).build();
    }

    private static ChannelCredentials withCertificate(CertificateAuthority issuer, Identity who) throws IOException {
        KeyPair pair = Keys.generate();
        String cert = Pem.certificate(issuer.issue(who, pair.getPublic(), List.of("127.0.0.1"), Duration.ofHours(1)));
        return TlsChannelCredentials.newBuilder()
                .keyManager(stream(cert), stream(Pem.privateKey(pair.getPrivate())))
                .trustManager(pki.caCert().toFile())
                .build();
    }

    private static SSLContext trustOnly(Path ca) throws Exception {
        KeyStore trusted = KeyStore.getInstance("PKCS12");
        trusted.load(null, new char[0]);
        trusted.setCertificateEntry("ca", Pem.readCertificate(ca));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trusted);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);
        return context;
    }

    private static <T> T withChannel(ChannelCredentials credentials, java.util.function.Function<ManagedChannel, T> use) {
        ManagedChannel channel = Grpc.newChannelBuilderForAddress("127.0.0.1", agent.port(), credentials).build();
        try {
            return use.apply(channel);
        } finally {
            channel.shutdownNow();
        }
    }

    private static CallCredentials bearer(String token) {
        return new CallCredentials() {
            @Override
            public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
                Metadata m = new Metadata();
                m.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
                applier.apply(m);
            }
        };
    }

    private static ByteArrayInputStream stream(String pem) {
        return new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII));
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }
}
