package io.unum.testing;

import io.unum.api.units.ByteSize;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code unum-dev up}: a fresh detached cluster on the well-known ports where they are free, its
 * processes recorded in {@code <dir>/pids}, its URLs and tokens in {@code <dir>/cluster.properties}
 * and, unless told not to, in the CLI's configuration.
 */
@Command(name = "up", mixinStandardHelpOptions = true,
        description = {"start etcd, control plane(s) and N agents as background processes (ports 2379/2380,"
                + " 8080, 9090, 7001.. when free), wait until every node is READY, write DIR/cluster.properties"
                + " and the CLI's ~/.config/unum/cli.properties"})
final class UpCommand extends ClusterDirCommand {
    @Spec
    private CommandSpec spec;

    int agents = 3;
    int controlPlanes = 1;

    @Option(names = "--down-grace", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "how long a silent node stays READY (default 10s)")
    Duration downGrace = Duration.ofSeconds(10);

    @Option(names = "--no-cli-config", negatable = false, description = "leave the CLI's configuration alone")
    boolean noCliConfig;

    double agentCpuCapacity;
    long agentMemoryCapacity;
    final Map<String, Map<String, String>> labels = new LinkedHashMap<>();

    @Option(names = "--agents", paramLabel = "N", description = "how many agents (default 3)")
    void agents(String value) {
        agents = count(value, "--agents", 0);
    }

    @Option(names = "--control-planes", paramLabel = "N", description = "how many control planes (default 1)")
    void controlPlanes(String value) {
        controlPlanes = count(value, "--control-planes", 1);
    }

    @Option(names = "--agent-cpu-capacity", paramLabel = "CORES",
            description = "every agent enforces this CPU capacity with a cgroup (root only), e.g. 0.5")
    void agentCpuCapacity(String value) {
        try {
            agentCpuCapacity = Double.parseDouble(value);
        } catch (NumberFormatException e) {
            agentCpuCapacity = 0;
        }
        if (!(agentCpuCapacity > 0)) {
            throw bad("--agent-cpu-capacity needs a positive number of cores, not '" + value + "'");
        }
    }

    @Option(names = "--agent-memory-capacity", paramLabel = "BYTES",
            description = "every agent enforces this memory capacity with a cgroup (root only), e.g. 512M")
    void agentMemoryCapacity(String value) {
        try {
            agentMemoryCapacity = ByteSize.parse(value);
        } catch (IllegalArgumentException e) {
            throw bad("--agent-memory-capacity: " + e.getMessage());
        }
    }

    @Option(names = "--label", paramLabel = "NODE:KEY=VALUE",
            description = "a label of one node, for 'unum run --constraint KEY=VALUE'; may be repeated")
    void label(String value) {
        int colon = value.indexOf(':');
        int eq = value.indexOf('=');
        if (colon <= 0 || eq < colon + 2) {
            throw bad("--label needs NODE:KEY=VALUE, e.g. node-2:zone=b, not '" + value + "'");
        }
        labels.computeIfAbsent(value.substring(0, colon), n -> new LinkedHashMap<>())
                .put(value.substring(colon + 1, eq), value.substring(eq + 1));
    }

    @Override
    public Integer call() {
        PrintStream out = main.out;
        PrintStream err = main.err;
        Path dir = dir();
        PidsFile pids = pids();
        List<PidsFile.Entry> running = pids.live();
        if (!running.isEmpty()) {
            err.println("A local cluster is already running from " + dir + " (" + PidsFile.describe(running) + ").");
            err.println("Stop it first with: bin/unum-dev down");
            return 1;
        }
        // A fresh cluster each time: old data, state dirs and logs belong to processes that are gone.
        pids.delete();
        for (String sub : List.of("etcd", "agents", "logs", "cluster.properties")) {
            OsProcesses.deleteRecursively(dir.resolve(sub));
        }
        out.printf("Starting etcd, %d control plane(s) and %d agent(s) in %s (logs in %s) ...%n",
                controlPlanes, agents, dir, dir.resolve("logs"));
        out.flush();
        LocalCluster cluster;
        try {
            LocalClusterBuilder builder = LocalCluster.builder()
                    .controlPlanes(controlPlanes)
                    .agents(agents)
                    .downGrace(downGrace)
                    .dir(dir)
                    .detached(true)
                    .preferredPorts(true)
                    .listener(pids);
            if (agentCpuCapacity > 0 || agentMemoryCapacity > 0) {
                builder.agentCapacity(agentCpuCapacity, agentMemoryCapacity);
            }
            labels.forEach(builder::nodeLabels);
            cluster = builder.build().start();
        } catch (RuntimeException e) {
            pids.delete();
            err.println("unum-dev up failed; everything it started was stopped. Logs: " + dir.resolve("logs"));
            err.println(e.getMessage());
            return 1;
        }
        writeClusterProperties(dir.resolve("cluster.properties"), cluster);
        Path cliConfig = noCliConfig ? null : writeCliConfig(cluster);
        new UpSummary(out).print(cluster, cliConfig);
        return 0;
    }

    private static void writeClusterProperties(Path file, LocalCluster c) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("api.url", c.apiUrl());
        p.put("openapi.url", c.apiUrl() + "/q/openapi");
        p.put("swagger-ui.url", c.apiUrl() + "/q/swagger-ui");
        p.put("admin.token", c.adminToken());
        p.put("viewer.token", c.viewerToken());
        p.put("join.token", c.joinToken());
        p.put("etcd.endpoint", c.etcd().endpoint());
        for (int i = 0; i < c.controlPlanes().size(); i++) {
            p.put("control-plane." + (i + 1) + ".http", c.controlPlane(i).httpUrl());
            p.put("control-plane." + (i + 1) + ".grpc", c.controlPlane(i).grpcAddress());
        }
        for (AgentProcess a : c.agents()) {
            p.put("agent." + a.name() + ".address", a.address());
            p.put("agent." + a.name() + ".state-dir", a.stateDir().toString());
        }
        p.put("log.dir", c.logDir().toString());
        PrivateProperties.write(file, p, "Unum local cluster, written by bin/unum-dev up");
    }

    private Path writeCliConfig(LocalCluster c) {
        String xdg = main.env.get("XDG_CONFIG_HOME");
        Path base = xdg == null || xdg.isBlank() ? Path.of(System.getProperty("user.home"), ".config") : Path.of(xdg);
        Path file = base.resolve("unum").resolve("cli.properties");
        Map<String, String> p = new LinkedHashMap<>();
        p.put("url", c.apiUrl());
        p.put("token", c.adminToken());
        PrivateProperties.write(file, p, "unum CLI configuration, written by bin/unum-dev up (admin token of the local cluster)");
        return file;
    }

    private int count(String value, String option, int min) {
        int n;
        try {
            n = Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw bad(option + " needs a number, not '" + value + "'");
        }
        if (n < min || n > 64) {
            throw bad(option + " must be between " + min + " and 64, not " + value);
        }
        return n;
    }

    private ParameterException bad(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
