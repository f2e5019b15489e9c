package io.unum.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.unum.agent.auth.AgentTls;
import io.unum.agent.auth.BearerCredentials;
import io.unum.agent.support.FakeRegistry;
import io.unum.api.grpc.AgentRegistryServiceGrpc;
import io.unum.api.grpc.EnrollRequest;
import io.unum.pki.CaCertHash;
import io.unum.pki.CertificateAuthority;
import io.unum.pki.Keys;
import io.unum.pki.SigningRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10: an agent joins only a control plane it can check, by the cluster CA's file or its hash
 * (kubeadm's {@code --discovery-token-ca-cert-hash}), and the join token goes nowhere else.
 */
class EnrolmentTrustTest {
    private static final String TOKEN = "s3cret-join-token";

    @TempDir
    Path stateDir;

    private final List<AutoCloseable> started = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (int i = started.size() - 1; i >= 0; i--) {
            started.get(i).close();
        }
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void joinsAControlPlaneWhoseChainCarriesTheCaOfTheHash() throws Exception {
        FakeRegistry registry = registry(List.of("127.0.0.1"));
        Agent agent = Agent.start(config(registry, "--ca-cert-hash", registry.caCertHash()));
        started.add(agent);
        assertEquals(1, registry.enrollments.size());
        assertTrue(registry.calls.contains("Enroll Bearer " + TOKEN + " none"), registry.calls.toString());
        assertTrue(Files.isRegularFile(stateDir.resolve("tls").resolve("agent.crt")));
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void aWrongHashIsRefusedNamingBothHashesBeforeTheTokenIsSent() throws Exception {
        FakeRegistry registry = registry(List.of("127.0.0.1"));
        String otherCa = CaCertHash.of(CertificateAuthority.create("another-cluster", Duration.ofDays(1)).certificate()).toString();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Agent.start(config(registry, "--ca-cert-hash", otherCa)));
        assertTrue(e.getMessage().contains("expected " + otherCa), e.getMessage());
        assertTrue(e.getMessage().contains("showed " + registry.caCertHash() + " (O=unum,CN=fake-cluster-ca)"), e.getMessage());
        assertTrue(e.getMessage().contains("the join token was not sent"), e.getMessage());
        assertTrue(registry.calls.isEmpty(), "no call reached the server: " + registry.calls);
        assertFalse(Files.exists(stateDir.resolve("tls").resolve("agent.crt")));
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void withNeitherHashNorCaFileTheAgentDoesNotJoinAndSaysHowToGetTheHash() throws Exception {
        FakeRegistry registry = registry(List.of("127.0.0.1"));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Agent.start(config(registry)));
        assertTrue(e.getMessage().contains("--ca-cert-hash sha256:<hex>") && e.getMessage().contains("`unum join-token create`")
                && e.getMessage().contains("--ca-file"), e.getMessage());
        assertTrue(registry.calls.isEmpty(), "nothing was sent: " + registry.calls);
    }

    /** The hash only chooses the trust anchor: the certificate must still name the host dialled. */
    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void theRightHashDoesNotExcuseACertificateForAnotherHost() throws Exception {
        FakeRegistry registry = registry(List.of("control-plane.example"));
        ManagedChannel channel = Grpc.newChannelBuilder(registry.endpoint(),
                AgentTls.joiningCredentials(null, CaCertHash.parse(registry.caCertHash()))).build();
        try {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> AgentRegistryServiceGrpc
                    .newBlockingStub(channel).withCallCredentials(new BearerCredentials(TOKEN))
                    .withDeadlineAfter(10, TimeUnit.SECONDS)
                    .enroll(EnrollRequest.newBuilder().setNode("n").setHost("127.0.0.1")
                            .setCsrPem(SigningRequest.create(Keys.generate(), "n")).build()));
            assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.getStatus().toString());
            assertTrue(causes(e).contains("No subject alternative names matching IP address 127.0.0.1"), causes(e));
            assertTrue(registry.calls.isEmpty(), "no call reached the server: " + registry.calls);
        } finally {
            channel.shutdownNow();
        }
    }

    private static String causes(Throwable e) {
        StringBuilder all = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            all.append(t).append('\n');
        }
        return all.toString();
    }

    private FakeRegistry registry(List<String> hosts) throws Exception {
        FakeRegistry registry = new FakeRegistry(hosts);
        started.add(registry);
        return registry;
    }

    private AgentConfig config(FakeRegistry registry, String... trust) {
        List<String> args = new ArrayList<>(List.of("--name", "node-a", "--listen", "127.0.0.1:0",
                "--control-plane", registry.endpoint(), "--state-dir", stateDir.toString(),
                "--join-token-file", TestJoinToken.file(TOKEN), "--fs-mount", "none"));
        args.addAll(List.of(trust));
        return AgentMain.parse(args.toArray(String[]::new));
    }
}
