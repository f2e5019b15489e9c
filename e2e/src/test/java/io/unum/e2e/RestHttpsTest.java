package io.unum.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unum.cli.UnumCommand;
import io.unum.client.UnumClient;
import io.unum.testing.LocalCluster;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/** REST over HTTPS through Quarkus's TLS registry: the client and the CLI check the control plane against the cluster CA. */
@Timeout(180)
class RestHttpsTest {
    private static LocalCluster cluster;

    @BeforeAll
    static void startCluster() {
        cluster = LocalCluster.builder().controlPlanes(1).agents(1).restOverHttps(true).build().start();
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void theClientTrustsTheClusterCaFileAndNothingElse() {
        URI https = URI.create(cluster.controlPlane(0).httpsUrl());
        UnumClient trusting = new UnumClient(https, cluster.adminToken(), cluster.pki().caCert());
        assertEquals(1, trusting.nodes().size());
        // Without the CA file the JDK's CAs do not know the cluster's certificate.
        assertThrows(RuntimeException.class, () -> new UnumClient(https, cluster.adminToken()).nodes());
    }

    @Test
    void theCliTakesTheCaFileFromItsEnvironment() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        Map<String, String> env = Map.of("UNUM_URL", cluster.controlPlane(0).httpsUrl(), "UNUM_TOKEN", cluster.adminToken(),
                "UNUM_CA_FILE", cluster.pki().caCert().toString(), "COLUMNS", "200");
        CommandLine cli = new CommandLine(new UnumCommand(env, Path.of("/nonexistent/cli.properties"),
                new ByteArrayOutputStream(), new ByteArrayOutputStream()));
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute("nodes");
        String printed = out.toString();
        assertEquals(0, exit, err.toString());
        assertTrue(printed.contains("node-1"), printed);
    }
}
