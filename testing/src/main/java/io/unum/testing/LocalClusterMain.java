package io.unum.testing;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * {@code bin/unum-dev up|down|status}: a local cluster whose processes outlive this launcher.
 * {@code up} records every process in {@code <dir>/pids} and the URLs and tokens in
 * {@code <dir>/cluster.properties}; {@code down} stops what {@code <dir>/pids} lists and every
 * process the agents' state dirs list.
 */
public final class LocalClusterMain {
    static final String USAGE = """
            Usage: unum-dev up [--agents N] [--control-planes N] [--down-grace DURATION] [--dir DIR] [--no-cli-config]
                              [--agent-cpu-capacity CORES] [--agent-memory-capacity BYTES] [--label NODE:KEY=VALUE]...
                   unum-dev down [--dir DIR]
                   unum-dev status [--dir DIR]

              up       start etcd, control plane(s) and N agents (default 3) as background processes
                       (ports 2379/2380, 8080, 9090, 7001.. when free), wait until every node is READY,
                       write DIR/cluster.properties and the CLI's ~/.config/unum/cli.properties
                       --agent-*-capacity: every agent enforces that capacity with a cgroup (root only),
                       so agents on this one machine behave like machines of that size (e.g. 0.5, 512M);
                       --label: a label of one node, for 'unum run --constraint KEY=VALUE'
              down     stop everything 'up' started, and every process the agents supervised
              status   show what is running
            DIR defaults to .unum-local (relative to the current directory); DURATION like 10s or PT10S.
            """;

    private final PrintStream out;
    private final PrintStream err;
    private final Map<String, String> env;

    LocalClusterMain(PrintStream out, PrintStream err, Map<String, String> env) {
        this.out = out;
        this.err = err;
        this.env = env;
    }

    public static void main(String[] args) {
        int code = new LocalClusterMain(System.out, System.err, System.getenv()).run(args);
        System.out.flush();
        System.exit(code);
    }

    int run(String[] args) {
        if (args.length == 0 || List.of("-h", "--help", "help").contains(args[0])) {
            out.print(USAGE);
            return args.length == 0 ? 2 : 0;
        }
        Options o;
        try {
            o = Options.parse(args);
        } catch (IllegalArgumentException e) {
            err.println("unum-dev: " + e.getMessage());
            err.print(USAGE);
            return 2;
        }
        try {
            return switch (o.command) {
                case "up" -> up(o);
                case "down" -> down(o);
                case "status" -> status(o);
                default -> {
                    err.println("unum-dev: unknown command '" + o.command + "'");
                    err.print(USAGE);
                    yield 2;
                }
            };
        } catch (RuntimeException e) {
            err.println("unum-dev " + o.command + " failed: " + e.getMessage());
            return 1;
        }
    }

    private int up(Options o) {
        PidsFile pids = new PidsFile(o.dir.resolve("pids"));
        List<PidsFile.Entry> running = pids.live();
        if (!running.isEmpty()) {
            err.println("A local cluster is already running from " + o.dir + " (" + describe(running) + ").");
            err.println("Stop it first with: bin/unum-dev down");
            return 1;
        }
        // A fresh cluster each time: old data, state dirs and logs belong to processes that are gone.
        pids.delete();
        for (String sub : List.of("etcd", "agents", "logs", "cluster.properties")) {
            OsProcesses.deleteRecursively(o.dir.resolve(sub));
        }
        out.printf("Starting etcd, %d control plane(s) and %d agent(s) in %s (logs in %s) ...%n",
                o.controlPlanes, o.agents, o.dir, o.dir.resolve("logs"));
        out.flush();
        LocalCluster cluster;
        try {
            LocalCluster.Builder builder = LocalCluster.builder()
                    .controlPlanes(o.controlPlanes)
                    .agents(o.agents)
                    .downGrace(o.downGrace)
                    .dir(o.dir)
                    .detached(true)
                    .preferredPorts(true)
                    .listener(pids);
            if (o.agentCpuCapacity > 0 || o.agentMemoryCapacity > 0) {
                builder.agentCapacity(o.agentCpuCapacity, o.agentMemoryCapacity);
            }
            o.labels.forEach(builder::nodeLabels);
            cluster = builder.build().start();
        } catch (RuntimeException e) {
            pids.delete();
            err.println("unum-dev up failed; everything it started was stopped. Logs: " + o.dir.resolve("logs"));
            err.println(e.getMessage());
            return 1;
        }
        writeClusterProperties(o.dir.resolve("cluster.properties"), cluster);
        Path cliConfig = o.writeCliConfig ? writeCliConfig(cluster) : null;
        printSummary(cluster, cliConfig);
        return 0;
    }

    private void printSummary(LocalCluster c, Path cliConfig) {
        List<String> notes = new ArrayList<>();
        out.println();
        out.println("Unum local cluster is up:");
        EtcdServer etcd = c.etcd();
        row("etcd", etcd.endpoint() + " (peer port " + etcd.peerPort() + ")", etcd.pid());
        note(notes, "etcd client", LocalCluster.ETCD_CLIENT_PORT, etcd.clientPort());
        note(notes, "etcd peer", LocalCluster.ETCD_PEER_PORT, etcd.peerPort());
        for (int i = 0; i < c.controlPlanes().size(); i++) {
            ControlPlaneProcess cp = c.controlPlane(i);
            row(cp.name(), cp.httpUrl() + ", gRPC " + cp.grpcAddress(), cp.pid());
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
        out.println("Admin token   " + c.adminToken());
        out.println("Viewer token  " + c.viewerToken());
        out.println("Logs          " + c.logDir());
        out.println("Details       " + c.dir().resolve("cluster.properties"));
        out.println();
        if (cliConfig != null) {
            out.println("The CLI is configured (" + cliConfig + ": url and the admin token). Try:");
        } else {
            out.println("Point the CLI at it with UNUM_URL=" + url + " UNUM_TOKEN=<admin token>, then try:");
        }
        out.println("  bin/unum nodes");
        out.println("  curl -H 'Authorization: Bearer " + c.adminToken() + "' " + url + "/api/v1/nodes");
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

    private void writeClusterProperties(Path file, LocalCluster c) {
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
        writePrivateProperties(file, p, "Unum local cluster, written by bin/unum-dev up");
    }

    private Path writeCliConfig(LocalCluster c) {
        String xdg = env.get("XDG_CONFIG_HOME");
        Path base = xdg == null || xdg.isBlank() ? Path.of(System.getProperty("user.home"), ".config") : Path.of(xdg);
        Path file = base.resolve("unum").resolve("cli.properties");
        Map<String, String> p = new LinkedHashMap<>();
        p.put("url", c.apiUrl());
        p.put("token", c.adminToken());
        writePrivateProperties(file, p, "unum CLI configuration, written by bin/unum-dev up (admin token of the local cluster)");
        return file;
    }

    /** Writes a properties file readable by its owner only (it holds tokens). */
    static void writePrivateProperties(Path file, Map<String, String> values, String comment) {
        Properties props = new Properties() {
            private static final long serialVersionUID = 1L;

            @Override
            public synchronized java.util.Set<Map.Entry<Object, Object>> entrySet() {
                // keep insertion order in the file
                java.util.Set<Map.Entry<Object, Object>> ordered = new java.util.LinkedHashSet<>();
                values.forEach((k, v) -> ordered.add(Map.entry(k, v)));
                return ordered;
            }
        };
        props.putAll(values);
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.deleteIfExists(tmp);
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                props.store(w, comment);
            }
            Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    private int down(Options o) {
        PidsFile pids = new PidsFile(o.dir.resolve("pids"));
        List<PidsFile.Entry> entries = pids.read();
        if (!pids.exists()) {
            out.println("No " + pids.path() + ": no local cluster was started from " + o.dir + ".");
        }
        List<PidsFile.Entry> agents = byRole(entries, "agent");
        stop("agents", agents);
        int supervised = 0;
        for (Path stateDir : agentStateDirs(o.dir)) {
            supervised += SupervisedProcesses.killAll(stateDir);
            SupervisedProcesses.removeCgroups(stateDir);
        }
        if (supervised > 0) {
            out.println("Killed " + supervised + " supervised process(es) (shims and programs).");
        }
        stop("control planes", byRole(entries, "control-plane"));
        stop("etcd", byRole(entries, "etcd"));
        List<PidsFile.Entry> left = entries.stream().filter(e -> e.live().isPresent()).toList();
        if (!left.isEmpty()) {
            err.println("Still running: " + describe(left));
            return 1;
        }
        pids.delete();
        OsProcesses.deleteRecursively(o.dir.resolve("cluster.properties"));
        if (!entries.isEmpty()) {
            out.println("Local cluster stopped. Logs are kept in " + o.dir.resolve("logs") + ".");
        }
        return 0;
    }

    private void stop(String what, List<PidsFile.Entry> entries) {
        List<PidsFile.Entry> live = entries.stream().filter(e -> e.live().isPresent()).toList();
        if (live.isEmpty()) {
            return;
        }
        out.println("Stopping " + what + ": " + describe(live));
        out.flush();
        LocalCluster.stopAll(live.stream().map(e -> e.live().orElse(null)).toList(), Duration.ofSeconds(10));
    }

    private int status(Options o) {
        PidsFile pids = new PidsFile(o.dir.resolve("pids"));
        if (!pids.exists()) {
            out.println("Not running (no " + pids.path() + "). Start with: bin/unum-dev up");
            return 3;
        }
        List<PidsFile.Entry> entries = pids.read();
        int live = 0;
        out.println("Local cluster in " + o.dir + ":");
        for (PidsFile.Entry e : entries) {
            boolean alive = e.live().isPresent();
            live += alive ? 1 : 0;
            out.printf("  %-14s %-16s pid %-8d %s%n", e.role(), e.name(), e.pid(), alive ? "running" : "NOT RUNNING");
        }
        int supervised = agentStateDirs(o.dir).stream().mapToInt(d -> SupervisedProcesses.live(d).size()).sum();
        out.println("  supervised processes (shims and programs) alive: " + supervised);
        Properties props = readProperties(o.dir.resolve("cluster.properties"));
        String url = props.getProperty("api.url");
        if (url != null) {
            out.println("API URL " + url + "   Swagger UI " + url + "/q/swagger-ui");
            try {
                JsonNode nodes = new ClusterApi(url, props.getProperty("admin.token")).getJson("/api/v1/nodes");
                out.println("Nodes:");
                for (JsonNode n : nodes) {
                    out.printf("  %-16s %-6s %s%n", n.path("name").asText(), n.path("state").asText(), n.path("address").asText());
                }
            } catch (RuntimeException e) {
                out.println("API not answering: " + e.getMessage());
            }
        }
        return live == entries.size() && !entries.isEmpty() ? 0 : 1;
    }

    private static List<PidsFile.Entry> byRole(List<PidsFile.Entry> entries, String role) {
        return entries.stream().filter(e -> e.role().equals(role)).toList();
    }

    private static String describe(List<PidsFile.Entry> entries) {
        return String.join(", ", entries.stream().map(e -> e.name() + " pid " + e.pid()).toList());
    }

    private static List<Path> agentStateDirs(Path dir) {
        Path agents = dir.resolve("agents");
        if (!Files.isDirectory(agents)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(agents)) {
            return s.filter(Files::isDirectory).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + agents, e);
        }
    }

    private static Properties readProperties(Path file) {
        Properties p = new Properties();
        if (Files.isRegularFile(file)) {
            try (var r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                p.load(r);
            } catch (IOException e) {
                // status shows what it can
            }
        }
        return p;
    }

    /** The parsed command line. */
    static final class Options {
        String command;
        Path dir = Path.of(".unum-local");
        int agents = 3;
        int controlPlanes = 1;
        Duration downGrace = Duration.ofSeconds(10);
        boolean writeCliConfig = true;
        double agentCpuCapacity;
        long agentMemoryCapacity;
        final Map<String, Map<String, String>> labels = new LinkedHashMap<>();

        static Options parse(String[] args) {
            Options o = new Options();
            o.command = args[0];
            for (int i = 1; i < args.length; i++) {
                String a = args[i];
                String value = null;
                int eq = a.indexOf('=');
                if (a.startsWith("--") && eq > 0) {
                    value = a.substring(eq + 1);
                    a = a.substring(0, eq);
                }
                switch (a) {
                    case "--dir" -> o.dir = Path.of(value != null ? value : next(args, ++i, a));
                    case "--agents" -> o.agents = count(value != null ? value : next(args, ++i, a), a, 0);
                    case "--control-planes" -> o.controlPlanes = count(value != null ? value : next(args, ++i, a), a, 1);
                    case "--down-grace" -> o.downGrace = duration(value != null ? value : next(args, ++i, a));
                    case "--no-cli-config" -> o.writeCliConfig = false;
                    case "--agent-cpu-capacity" -> o.agentCpuCapacity = cores(value != null ? value : next(args, ++i, a));
                    case "--agent-memory-capacity" -> o.agentMemoryCapacity = bytes(value != null ? value : next(args, ++i, a));
                    case "--label" -> o.label(value != null ? value : next(args, ++i, a));
                    default -> throw new IllegalArgumentException("unknown option '" + args[i] + "'");
                }
            }
            if (!o.command.equals("up") && (o.agents != 3 || o.controlPlanes != 1)) {
                throw new IllegalArgumentException("--agents and --control-planes are options of 'up'");
            }
            o.dir = o.dir.toAbsolutePath().normalize();
            return o;
        }

        private void label(String v) {
            int colon = v.indexOf(':');
            int eq = v.indexOf('=');
            if (colon <= 0 || eq < colon + 2) {
                throw new IllegalArgumentException("--label needs NODE:KEY=VALUE, e.g. node-2:zone=b, not '" + v + "'");
            }
            labels.computeIfAbsent(v.substring(0, colon), n -> new LinkedHashMap<>())
                    .put(v.substring(colon + 1, eq), v.substring(eq + 1));
        }

        private static double cores(String v) {
            try {
                double d = Double.parseDouble(v);
                if (d > 0) {
                    return d;
                }
            } catch (NumberFormatException e) {
                // answered below
            }
            throw new IllegalArgumentException("--agent-cpu-capacity needs a positive number of cores, not '" + v + "'");
        }

        private static long bytes(String v) {
            String s = v.trim().toUpperCase(java.util.Locale.ROOT);
            int shift = s.endsWith("K") ? 10 : s.endsWith("M") ? 20 : s.endsWith("G") ? 30 : 0;
            try {
                long n = Long.parseLong(shift == 0 ? s : s.substring(0, s.length() - 1));
                if (n > 0) {
                    return n << shift;
                }
            } catch (NumberFormatException e) {
                // answered below
            }
            throw new IllegalArgumentException("--agent-memory-capacity needs bytes, or a number with K, M or G, not '" + v + "'");
        }

        private static String next(String[] args, int i, String option) {
            if (i >= args.length) {
                throw new IllegalArgumentException(option + " needs a value");
            }
            return args[i];
        }

        private static int count(String v, String option, int min) {
            try {
                int n = Integer.parseInt(v);
                if (n < min || n > 64) {
                    throw new IllegalArgumentException(option + " must be between " + min + " and 64, not " + v);
                }
                return n;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(option + " needs a number, not '" + v + "'");
            }
        }

        static Duration duration(String v) {
            String s = v.trim().toLowerCase(java.util.Locale.ROOT);
            try {
                if (s.startsWith("pt") || s.startsWith("p")) {
                    return Duration.parse(s.toUpperCase(java.util.Locale.ROOT));
                }
                if (s.endsWith("ms")) {
                    return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2)));
                }
                char unit = s.charAt(s.length() - 1);
                if (Character.isDigit(unit)) {
                    return Duration.ofSeconds(Long.parseLong(s));
                }
                long n = Long.parseLong(s.substring(0, s.length() - 1));
                return switch (unit) {
                    case 's' -> Duration.ofSeconds(n);
                    case 'm' -> Duration.ofMinutes(n);
                    case 'h' -> Duration.ofHours(n);
                    default -> throw new IllegalArgumentException("bad duration '" + v + "' (use e.g. 10s, 500ms, PT10S)");
                };
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("bad duration '" + v + "' (use e.g. 10s, 500ms, PT10S)");
            }
        }
    }
}
