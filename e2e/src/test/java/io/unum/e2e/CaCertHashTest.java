package io.unum.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unum.api.model.NewJoinToken;
import io.unum.api.model.ProcessInfo;
import io.unum.api.model.ProcessState;
import io.unum.api.model.SpawnRequest;
import io.unum.pki.CaCertHash;
import io.unum.pki.CertificateAuthority;
import io.unum.pki.Pem;
import io.unum.testing.AgentProcess;
import io.unum.testing.LocalCluster;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 10, "secure by default": a new agent joins only a control plane it can check. Given the
 * cluster CA's hash, as {@code unum join-token create} shows it (kubeadm's
 * {@code --discovery-token-ca-cert-hash}), it needs no CA file; with a wrong hash, or with neither,
 * it refuses to join and says why, and its join token goes nowhere.
 */
@Timeout(240)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CaCertHashTest {
    private static final Duration READY = Duration.ofSeconds(90);
    private static LocalCluster cluster;
    private static Api admin;

    @BeforeAll
    static void startCluster() {
        cluster = LocalCluster.builder().controlPlanes(1).agents(1).build().start();
        admin = new Api(cluster.apiUrl(), cluster.adminToken());
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** The hash a new join token comes with is the one kubeadm's documented openssl line gives for the CA. */
    @Test
    @Order(1)
    void aNewJoinTokenComesWithTheClusterCasHashInKubeadmsForm() throws Exception {
        NewJoinToken created = admin.client().createJoinToken(600L);
        assertEquals(CaCertHash.of(Pem.readCertificate(cluster.pki().caCert())).toString(), created.caCertHash());
        Process openssl = new ProcessBuilder("sh", "-c", "openssl x509 -pubkey -noout -in \"$0\" "
                + "| openssl pkey -pubin -outform der | sha256sum", cluster.pki().caCert().toString())
                .redirectErrorStream(true).start();
        assertTrue(openssl.waitFor(30, TimeUnit.SECONDS));
        String out = new String(openssl.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        assertEquals(0, openssl.exitValue(), out);
        assertEquals(created.caCertHash(), "sha256:" + out.split("\\s+")[0]);
        admin.client().deleteJoinToken(created.id());
    }

    @Test
    @Order(2)
    void anAgentJoinsWithTheHashAlone() throws Exception {
        NewJoinToken created = admin.client().createJoinToken(600L);
        AgentProcess node2 = cluster.launchAgent(created.token(), List.of("--ca-cert-hash", created.caCertHash()));
        assertEquals("node-2", node2.name());
        cluster.awaitReadyNodes(List.of("node-2"), READY);
        assertTrue(Files.readString(node2.logFile()).contains("joined: certificate for agent node-2"));
        // It works as any node does: the control plane calls it over mutual TLS with the CA it received.
        ProcessInfo p = admin.spawn(new SpawnRequest(List.of("true"), "node-2", null, null, null, null, null));
        assertEquals("node-2", p.node());
        assertEquals(0, admin.awaitState(p.gpid(), ProcessState.EXITED).exitCode());
        admin.client().deleteJoinToken(created.id());
    }

    @Test
    @Order(3)
    void anAgentWithAWrongHashRefusesToJoinNamingBothHashes() throws Exception {
        NewJoinToken created = admin.client().createJoinToken(600L);
        // The likeliest mistake: the hash of another cluster's CA.
        String wrong = CaCertHash.of(CertificateAuthority.create("another-cluster", Duration.ofDays(1)).certificate()).toString();
        AgentProcess refused = cluster.launchAgent(created.token(), List.of("--ca-cert-hash", wrong));
        Api.await(refused::isAlive, alive -> !alive, READY, "the agent with a wrong CA hash to exit");
        String log = Files.readString(refused.logFile());
        assertTrue(log.contains("unum-agent: the control plane's certificate is not of the CA given by --ca-cert-hash: "
                + "expected " + wrong + ", the server showed " + created.caCertHash()), log);
        assertTrue(log.contains("the join token was not sent"), log);
        assertFalse(cluster.nodeStates().containsKey(refused.name()), cluster.nodeStates().toString());
        // It stopped in the handshake: the control plane never saw an Enroll naming it.
        assertFalse(Files.readString(cluster.controlPlane(0).logFile()).contains(refused.name()), "the control plane's log");
        admin.client().deleteJoinToken(created.id());
    }

    @Test
    @Order(4)
    void anAgentWithNeitherHashNorCaFileRefusesToJoinAndSaysHowToGetTheHash() throws Exception {
        NewJoinToken created = admin.client().createJoinToken(600L);
        AgentProcess refused = cluster.launchAgent(created.token(), List.of());
        Api.await(refused::isAlive, alive -> !alive, READY, "the agent without a way to check the control plane to exit");
        String log = Files.readString(refused.logFile());
        assertTrue(log.contains("unum-agent: joining needs the cluster CA") && log.contains("--ca-cert-hash sha256:<hex>")
                && log.contains("`unum join-token create` prints it"), log);
        assertFalse(cluster.nodeStates().containsKey(refused.name()), cluster.nodeStates().toString());
        admin.client().deleteJoinToken(created.id());
    }
}
