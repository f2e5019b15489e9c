package io.unum.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.grpc.CallCredentials;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.unum.api.grpc.AgentRegistryServiceGrpc;
import io.unum.api.grpc.AgentRegistryServiceGrpc.AgentRegistryServiceBlockingStub;
import io.unum.api.grpc.EnrollRequest;
import io.unum.api.grpc.HeartbeatRequest;
import io.unum.api.grpc.NodeProfileServiceGrpc;
import io.unum.api.grpc.RegisterAgentRequest;
import io.unum.api.grpc.ReportNodeProfileRequest;
import io.unum.api.grpc.ReportProcessExitRequest;
import io.unum.api.model.AuditAction;
import io.unum.api.model.AuditEntry;
import io.unum.api.model.JoinTokenInfo;
import io.unum.api.model.NewJoinToken;
import io.unum.client.Json;
import io.unum.client.RawResponse;
import io.unum.pki.Keys;
import io.unum.pki.SigningRequest;
import io.unum.testing.AgentProcess;
import io.unum.testing.ClusterPki;
import io.unum.testing.LocalCluster;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 10, "secure by default": the join token is a short-lived bootstrap secret, like
 * {@code kubeadm join}'s, and no standing key. It opens {@code Enroll} and nothing else; a joined
 * agent speaks with its certificate alone, for its own node only, and needs no token to come back.
 */
@Timeout(240)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class JoinTokenTest {
    private static final Duration READY = Duration.ofSeconds(90);
    private static LocalCluster cluster;
    private static ClusterPki pki;
    private static Api admin;

    @BeforeAll
    static void startCluster() {
        cluster = LocalCluster.builder().controlPlanes(1).agents(1)
                .controlPlaneProperty("unum.auth.bootstrap-join-token-ttl", "1h")
                .build().start();
        pki = cluster.pki();
        admin = new Api(cluster.apiUrl(), cluster.adminToken());
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    @Order(1)
    void theJoinTokenAloneOpensNothingButEnroll() throws Exception {
        ChannelCredentials noCertificate = TlsChannelCredentials.newBuilder().trustManager(pki.caCert().toFile()).build();
        for (String token : List.of(cluster.joinToken(), "wrong-token")) {
            for (Function<AgentRegistryServiceBlockingStub, ?> call : agentCalls("node-1")) {
                StatusRuntimeException e = onAgentPort(noCertificate, ch -> assertThrows(StatusRuntimeException.class,
                        () -> call.apply(stub(ch).withCallCredentials(bearer(token)))));
                assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode(), e.getStatus().toString());
                assertTrue(e.getStatus().getDescription().contains("certificate"), e.getStatus().toString());
            }
            StatusRuntimeException profile = onAgentPort(noCertificate, ch -> assertThrows(StatusRuntimeException.class,
                    () -> NodeProfileServiceGrpc.newBlockingStub(ch).withCallCredentials(bearer(token))
                            .withDeadlineAfter(10, TimeUnit.SECONDS)
                            .reportNodeProfile(ReportNodeProfileRequest.newBuilder().setNode("node-1").build())));
            assertEquals(Status.Code.UNAUTHENTICATED, profile.getStatus().getCode());
        }
        // The public gRPC port serves no agent call to anyone, join token or not.
        ManagedChannel plain = Grpc.newChannelBuilder(cluster.controlPlane(0).grpcAddress(), InsecureChannelCredentials.create())
                .build();
        try {
            for (Function<AgentRegistryServiceBlockingStub, ?> call : agentCalls("node-1")) {
                StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                        () -> call.apply(stub(plain).withCallCredentials(bearer(cluster.joinToken()))));
                assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode(), e.getStatus().toString());
            }
        } finally {
            plain.shutdownNow();
        }
        // Enroll is refused without a token or with a wrong one, and nothing is signed.
        for (CallCredentials token : java.util.Arrays.asList(null, bearer("wrong-token"))) {
            StatusRuntimeException e = onAgentPort(noCertificate, ch -> assertThrows(StatusRuntimeException.class,
                    () -> (token == null ? stub(ch) : stub(ch).withCallCredentials(token)).enroll(enrollment("node-55"))));
            assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode(), e.getStatus().toString());
            assertTrue(e.getStatus().getDescription().contains("unum join-token create"), e.getStatus().toString());
        }
        assertTrue(onAgentPort(noCertificate, ch -> stub(ch).withCallCredentials(bearer(cluster.joinToken()))
                .enroll(enrollment("node-55"))).getCertificatePem().contains("BEGIN CERTIFICATE"));
    }

    @Test
    @Order(2)
    void anAgentsCertificateSpeaksForItsOwnNodeOnly() throws Exception {
        Path tls = cluster.agent(0).stateDir().resolve("tls");
        ChannelCredentials node1 = TlsChannelCredentials.newBuilder()
                .keyManager(tls.resolve("agent.crt").toFile(), tls.resolve("agent.key").toFile())
                .trustManager(pki.caCert().toFile()).build();
        for (Function<AgentRegistryServiceBlockingStub, ?> call : agentCalls("node-2")) {
            StatusRuntimeException e = onAgentPort(node1, ch -> assertThrows(StatusRuntimeException.class, () -> call.apply(stub(ch))));
            assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode(), e.getStatus().toString());
            assertTrue(e.getStatus().getDescription().contains("'node-2'") && e.getStatus().getDescription().contains("'node-1'"),
                    e.getStatus().toString());
        }
        StatusRuntimeException profile = onAgentPort(node1, ch -> assertThrows(StatusRuntimeException.class,
                () -> NodeProfileServiceGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS)
                        .reportNodeProfile(ReportNodeProfileRequest.newBuilder().setNode("node-2").build())));
        assertEquals(Status.Code.PERMISSION_DENIED, profile.getStatus().getCode());
        // Its own node it may speak for, with no token at all.
        assertTrue(onAgentPort(node1, ch -> stub(ch).heartbeat(HeartbeatRequest.newBuilder().setNode("node-1").build())).getKnown());
        assertFalse(cluster.nodeStates().containsKey("node-2"), "no node-2 was registered: " + cluster.nodeStates());
    }

    @Test
    @Order(3)
    void badRequestsForJoinTokensAreProblemsAndWriteNothing() {
        int before = admin.client().joinTokens().size();
        int audited = admin.client().audit(10_000).size();
        for (String body : List.of("{\"ttlSeconds\": 0}", "{\"ttlSeconds\": 86401}", "{\"ttlSeconds\": -5}",
                "{\"ttlSeconds\": \"soon\"}", "{\"ttl\": 60}", "{\"ttlSeconds\": 1.5e99}", "[")) {
            RawResponse r = admin.postRaw("/api/v1/join-tokens", body);
            assertEquals(400, r.status(), body + ": " + r.body());
            assertTrue(r.contentType().startsWith("application/problem+json"), body + ": " + r.contentType());
        }
        RawResponse unknown = admin.client().raw("DELETE", "/api/v1/join-tokens/zzzzzz", null);
        assertEquals(404, unknown.status(), unknown.body());
        assertTrue(unknown.contentType().startsWith("application/problem+json"));
        Api viewer = admin.as(cluster.viewerToken());
        assertEquals(403, viewer.get("/api/v1/join-tokens").status());
        assertEquals(403, viewer.postRaw("/api/v1/join-tokens", "{}").status());
        assertEquals(403, viewer.client().raw("DELETE", "/api/v1/join-tokens/zzzzzz", null).status());
        assertEquals(before, admin.client().joinTokens().size(), "no token was written");
        assertEquals(audited, admin.client().audit(10_000).size(), "no audit entry was written");
    }

    @Test
    @Order(4)
    void anAgentJoinsWithACreatedTokenAndComesBackWithoutOneAfterItIsDeleted() throws Exception {
        Instant before = Instant.now();
        NewJoinToken created = admin.client().createJoinToken(600L);
        assertTrue(created.token().matches("[a-z0-9]{6}\\.[a-z0-9]{24}"), created.token());
        assertTrue(created.token().startsWith(created.id() + "."));
        assertTrue(!created.expiresAt().isBefore(before.plusSeconds(599)) && created.expiresAt().isBefore(before.plusSeconds(700)),
                created.expiresAt().toString());
        RawResponse listed = admin.get("/api/v1/join-tokens");
        assertEquals(200, listed.status());
        assertTrue(listed.body().contains(created.id()) && !listed.body().contains(created.token()), listed.body());
        JoinTokenInfo info = admin.client().joinTokens().stream().filter(t -> t.id().equals(created.id())).findFirst().orElseThrow();
        assertEquals(created.expiresAt(), info.expiresAt());
        assertTrue(info.createdBy().startsWith("admin (token sha256:"), info.createdBy());
        NewJoinToken byDefault = admin.client().createJoinToken(null);
        assertTrue(byDefault.expiresAt().isAfter(before.plus(Duration.ofMinutes(59)))
                && byDefault.expiresAt().isBefore(before.plus(Duration.ofMinutes(70))), byDefault.expiresAt().toString());

        AgentProcess node2 = cluster.launchAgent(created.token());
        assertEquals("node-2", node2.name());
        cluster.awaitReadyNodes(List.of("node-2"), READY);

        admin.client().deleteJoinToken(created.id());
        assertTrue(admin.client().joinTokens().stream().noneMatch(t -> t.id().equals(created.id())));
        List<AuditEntry> audit = admin.client().audit(10_000);
        for (AuditAction action : List.of(AuditAction.JOIN_TOKEN_CREATE, AuditAction.JOIN_TOKEN_DELETE)) {
            assertTrue(audit.stream().anyMatch(e -> e.action() == action && e.detail().contains(created.id())), action + ": " + audit);
        }
        assertTrue(audit.stream().noneMatch(e -> String.valueOf(e.detail()).contains(created.token())), "the secret is not audited");

        // A crash and a start: the agent has its certificate, so the deleted token does not matter.
        // DOWN first, so that READY below is the restarted agent's registration, not the old one's.
        node2.kill();
        cluster.awaitNodeState("node-2", "DOWN", READY);
        node2.restart();
        cluster.awaitNodeState("node-2", "READY", READY);
        String log = Files.readString(node2.logFile());
        assertTrue(log.contains("TLS identity: the certificate in"), "the restarted agent used its certificate");

        // A new agent cannot join with the deleted token: it is refused and exits.
        AgentProcess refused = cluster.launchAgent(created.token());
        Api.await(refused::isAlive, alive -> !alive, READY, "the agent joining with a deleted token to exit");
        String refusedLog = Files.readString(refused.logFile());
        assertTrue(refusedLog.contains("refused to let this agent join") && refusedLog.contains("UNAUTHENTICATED"), refusedLog);
        assertFalse(cluster.nodeStates().containsKey(refused.name()), cluster.nodeStates().toString());
        admin.client().deleteJoinToken(byDefault.id());
    }

    @Test
    @Order(5)
    void anExpiredTokenIsRefusedAtEnrollAndNoLongerListed() throws Exception {
        NewJoinToken shortLived = admin.client().createJoinToken(1L);
        Api.await(Instant::now, now -> now.isAfter(shortLived.expiresAt().plusMillis(200)), Duration.ofSeconds(30),
                "the token's expiry");
        ChannelCredentials noCertificate = TlsChannelCredentials.newBuilder().trustManager(pki.caCert().toFile()).build();
        StatusRuntimeException e = onAgentPort(noCertificate, ch -> assertThrows(StatusRuntimeException.class,
                () -> stub(ch).withCallCredentials(bearer(shortLived.token())).enroll(enrollment("node-66"))));
        assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("expired at " + shortLived.expiresAt())
                && e.getStatus().getDescription().contains("`unum join-token create`"), e.getStatus().toString());
        assertTrue(admin.client().joinTokens().stream().noneMatch(t -> t.id().equals(shortLived.id())));
        // A refused expired token is deleted at once (the leader's collector deletes the others).
        assertTrue(etcdValue("/unum/join-tokens/" + shortLived.id()) == null, "the expired record was deleted");
    }

    @Test
    @Order(6)
    void anExpiredBootstrapTokenIsRefusedAndAnAgentWithItsCertificateStillComesBack() throws Exception {
        // Its time to live counts from when a control plane first saw it (kept in etcd): move that two hours back.
        String anchorKey = "/unum/bootstrap-join-token/current";
        JsonNode anchor = Json.read(etcdValue(anchorKey), JsonNode.class);
        assertNotNull(anchor, "the control plane anchored the bootstrap token's ttl");
        Instant firstSeen = Instant.now().minus(Duration.ofHours(2));
        ((ObjectNode) anchor).put("firstSeen", anchor.get("firstSeen").isNumber()
                ? new java.math.BigDecimal(firstSeen.getEpochSecond() + "." + String.format("%09d", firstSeen.getNano()))
                        .toPlainString() : firstSeen.toString());
        etcdPut(anchorKey, anchor.toString());
        ChannelCredentials noCertificate = TlsChannelCredentials.newBuilder().trustManager(pki.caCert().toFile()).build();
        StatusRuntimeException e = Api.await(() -> onAgentPort(noCertificate, ch -> {
            try {
                stub(ch).withCallCredentials(bearer(cluster.joinToken())).enroll(enrollment("node-77"));
                return null;
            } catch (StatusRuntimeException refused) {
                return refused;
            }
        }), r -> r != null, Duration.ofSeconds(30), "the bootstrap token to be refused");
        assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("expired at"), e.getStatus().toString());

        AgentProcess node1 = cluster.agent(0);
        node1.kill();
        cluster.awaitNodeState("node-1", "DOWN", READY);
        node1.restart();
        cluster.awaitNodeState("node-1", "READY", READY);
        assertTrue(Files.readString(node1.logFile()).contains("TLS identity: the certificate in"), "node-1 used its certificate");
    }

    /** Register, heartbeat and an exit report naming {@code node}. */
    private static List<Function<AgentRegistryServiceBlockingStub, ?>> agentCalls(String node) {
        return List.of(
                s -> s.registerAgent(RegisterAgentRequest.newBuilder().setNode(node).setAddress("127.0.0.1:1").setCores(1).build()),
                s -> s.heartbeat(HeartbeatRequest.newBuilder().setNode(node).build()),
                s -> s.reportProcessExit(ReportProcessExitRequest.newBuilder().setNode(node).setGpid(1).build()));
    }

    private static AgentRegistryServiceBlockingStub stub(ManagedChannel channel) {
        return AgentRegistryServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    private static EnrollRequest enrollment(String node) {
        return EnrollRequest.newBuilder().setNode(node).setHost("127.0.0.1")
                .setCsrPem(SigningRequest.create(Keys.generate(), node)).build();
    }

    private static <T> T onAgentPort(ChannelCredentials credentials, Function<ManagedChannel, T> use) {
        ManagedChannel channel = Grpc.newChannelBuilder(cluster.controlPlane(0).agentAddress(), credentials).build();
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

    /** The value etcd holds at key, or null; through its JSON gateway, as a control plane (its client certificate). */
    private static String etcdValue(String key) throws Exception {
        JsonNode kvs = Json.read(etcd("/v3/kv/range", Map.of("key", b64(key))), JsonNode.class).path("kvs");
        return kvs.isArray() && !kvs.isEmpty()
                ? new String(Base64.getDecoder().decode(kvs.get(0).get("value").asText()), StandardCharsets.UTF_8) : null;
    }

    private static void etcdPut(String key, String value) throws Exception {
        etcd("/v3/kv/put", Map.of("key", b64(key), "value", b64(value)));
    }

    private static String etcd(String path, Map<String, String> body) throws Exception {
        HttpClient http = HttpClient.newBuilder().sslContext(pki.etcdClientContext()).build();
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(cluster.etcd().endpoint() + path))
                .timeout(Duration.ofSeconds(10)).POST(HttpRequest.BodyPublishers.ofString(Json.write(body))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return r.body();
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }
}
