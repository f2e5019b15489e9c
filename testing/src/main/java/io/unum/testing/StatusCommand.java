package io.unum.testing;

import io.unum.api.model.NodeInfo;
import io.unum.client.UnumClient;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import picocli.CommandLine.Command;

/** {@code unum-dev status}: what {@code up} started, whether it still runs, and the nodes the API lists. */
@Command(name = "status", mixinStandardHelpOptions = true, description = "show what is running",
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:everything runs", "1:something stopped", "3:not running"})
final class StatusCommand extends ClusterDirCommand {
    @Override
    public Integer call() {
        PrintStream out = main.out;
        Path dir = dir();
        PidsFile pids = pids();
        if (!pids.exists()) {
            out.println("Not running (no " + pids.path() + "). Start with: bin/unum-dev up");
            return 3;
        }
        List<PidsFile.Entry> entries = pids.read();
        int live = 0;
        out.println("Local cluster in " + dir + ":");
        for (PidsFile.Entry e : entries) {
            boolean alive = e.live().isPresent();
            live += alive ? 1 : 0;
            out.printf("  %-14s %-16s pid %-8d %s%n", e.role(), e.name(), e.pid(), alive ? "running" : "NOT RUNNING");
        }
        int supervised = SupervisedProcesses.agentStateDirs(dir).stream()
                .mapToInt(d -> SupervisedProcesses.live(d).size()).sum();
        out.println("  supervised processes (shims and programs) alive: " + supervised);
        Properties props = PrivateProperties.read(dir.resolve("cluster.properties"));
        String url = props.getProperty("api.url");
        if (url != null) {
            out.println("API URL " + url + "   Swagger UI " + url + "/q/swagger-ui");
            try {
                List<NodeInfo> nodes = new UnumClient(url, props.getProperty("admin.token")).nodes();
                out.println("Nodes:");
                for (NodeInfo n : nodes) {
                    out.printf("  %-16s %-6s %s%n", n.name(), n.state(), n.address());
                }
            } catch (RuntimeException e) {
                out.println("API not answering: " + e.getMessage());
            }
        }
        return live == entries.size() && !entries.isEmpty() ? 0 : 1;
    }
}
