package io.unum.testing;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** What {@code unum-dev up} prints once the cluster runs: where each part listens and how to use it. */
final class UpSummary {
    private final PrintStream out;

    UpSummary(PrintStream out) {
        this.out = out;
    }

    void print(LocalCluster c, Path cliConfig) {
        List<String> notes = new ArrayList<>();
        out.println();
        out.println("Unum local cluster is up:");
        EtcdServer etcd = c.etcd();
        row("etcd", etcd.endpoint() + " (peer port " + etcd.peerPort() + ")", etcd.pid());
        note(notes, "etcd client", LocalCluster.ETCD_CLIENT_PORT, etcd.clientPort());
        note(notes, "etcd peer", LocalCluster.ETCD_PEER_PORT, etcd.peerPort());
        for (int i = 0; i < c.controlPlanes().size(); i++) {
            ControlPlaneProcess cp = c.controlPlane(i);
            row(cp.name(), cp.httpUrl() + ", gRPC " + cp.grpcAddress() + ", agents " + cp.agentAddress(), cp.pid());
            note(notes, cp.name() + " HTTP", LocalCluster.HTTP_PORT + i, cp.httpPort());
            note(notes, cp.name() + " gRPC", LocalCluster.GRPC_PORT + i, cp.grpcPort());
        }
        for (int i = 0; i < c.agents().size(); i++) {
            AgentProcess a = c.agent(i);
            row(a.name(), a.address(), a.pid());
            note(notes, a.name(), LocalCluster.AGENT_PORT + i, a.port());
        }
        notes.forEach(n -> out.println("  note: " + n));
        String url = c.apiUrl();
        out.println();
        out.println("API URL       " + url + "   (REST under " + url + "/api/v1)");
        out.println("OpenAPI       " + url + "/q/openapi");
        out.println("Swagger UI    " + url + "/q/swagger-ui");
        // Tokens are not printed: a terminal's scroll-back or a captured log is no place for them.
        out.println("Tokens        admin.token, viewer.token in " + c.dir().resolve("cluster.properties") + " (0600)");
        out.println("Logs          " + c.logDir());
        out.println("Details       " + c.dir().resolve("cluster.properties"));
        out.println();
        if (cliConfig != null) {
            out.println("The CLI is configured (" + cliConfig + ": url and the admin token). Try:");
        } else {
            out.println("Point the CLI at it with UNUM_URL=" + url + " and UNUM_TOKEN set to admin.token, then try:");
        }
        out.println("  bin/unum nodes");
        out.println("  curl -H \"Authorization: Bearer $UNUM_TOKEN\" " + url + "/api/v1/nodes");
        out.println("Status:  bin/unum-dev status");
        out.println("Stop:    bin/unum-dev down");
    }

    private void row(String name, String where, long pid) {
        out.printf("  %-16s %-50s pid %d%n", name, where, pid);
    }

    private static void note(List<String> notes, String what, int preferred, int actual) {
        if (preferred != actual) {
            notes.add(what + ": port " + preferred + " was taken, using " + actual);
        }
    }
}
