package io.unum.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A node agent ({@code node-agent/target/unum-agent.jar}) as a real OS process. Whether it is
 * ready is for the caller to judge (the node appears READY through the API); {@link Builder#start()}
 * only fails early, with the log tail, if the JVM dies within its first seconds.
 *
 * <p>{@link #kill()} kills the agent JVM alone: the processes it supervises run under their own
 * shims, in their own sessions, and survive, as they would on a crash; {@link #restart()} brings
 * the agent back with the same name, port and state dir so that it re-adopts them.
 */
public final class AgentProcess extends LaunchedProcess {
    private static final Duration EARLY_DEATH_WINDOW = Duration.ofMillis(1500);

    private final Builder config;
    private final int port;
    private final Path stateDir;
    private final Path tempRoot;

    private AgentProcess(Builder config, int port, Path stateDir, Path logFile, Path tempRoot) {
        super("agent", config, logFile);
        this.config = config;
        this.port = port;
        this.stateDir = stateDir;
        this.tempRoot = tempRoot;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** {@code 127.0.0.1:PORT}, the agent's own gRPC server ({@code --listen}). */
    public String address() {
        return "127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    public Path stateDir() {
        return stateDir;
    }

    /** Fails, with the log tail, if the agent JVM is not running. */
    public void checkAlive() {
        checkAlive("agent " + name());
    }

    /** Starts the agent again with the same name, port and state dir (after {@link #kill()} or {@link #stop()}). */
    public AgentProcess restart() {
        requireStopped();
        launch();
        failIfDiesWithin(EARLY_DEATH_WINDOW, "agent " + name());
        return this;
    }

    /**
     * The join token written to {@code --join-token-file} from the next {@link #restart()} on, e.g.
     * a deleted one, to show that an agent holding its certificate needs none.
     */
    public void useJoinToken(String token) {
        config.joinToken = token;
    }

    /** SIGTERM, SIGKILL after 10 s; supervised processes keep running. */
    public void stop() {
        stop(Duration.ofSeconds(10));
    }

    /** The live processes this agent's state dir lists (shims and programs). */
    public List<ProcessHandle> supervisedProcesses() {
        return SupervisedProcesses.live(stateDir);
    }

    /** SIGKILLs every process this agent's state dir lists; returns how many were alive. */
    public int killSupervisedProcesses() {
        return SupervisedProcesses.killAll(stateDir);
    }

    /**
     * Stops the agent. With a temporary state dir it also kills the supervised processes and
     * deletes the dir; with a given one it leaves both (see {@link LocalCluster#close()}).
     */
    @Override
    public void close() {
        stop();
        if (tempRoot != null) {
            killSupervisedProcesses();
            OsProcesses.deleteRecursively(tempRoot);
        }
    }

    @Override
    public String toString() {
        return "agent " + name() + "[" + address() + ", pid " + pidOrDash() + "]";
    }

    /** Beside the state dir, 0600: the token never appears on the agent's command line. */
    private Path joinTokenFile() {
        Path file = stateDir.resolveSibling(name() + ".join-token");
        PrivateFiles.write(file, config.joinToken + System.lineSeparator());
        return file;
    }

    void launch() {
        List<String> cmd = new ArrayList<>(nodeMountNamespace());
        cmd.add(OsProcesses.javaBinary());
        cmd.add("-Xmx128m");
        cmd.addAll(config.jvmArgs);
        cmd.addAll(List.of("-jar", config.jar.toString(),
                "--name", name(),
                "--listen", address(),
                "--control-plane", String.join(",", config.controlPlanes),
                "--state-dir", stateDir.toString(),
                "--join-token-file", joinTokenFile().toString()));
        cmd.addAll(config.extraArgs);
        spawn(cmd, env -> { });
    }

    /**
     * As root, each agent of a one-host cluster runs in a mount namespace of its own, so each has
     * its own mount of the cluster file system at the same path and its processes, and CRIU's
     * restores, see that one (docs/design/file-system.md, "One host, several nodes"). Mounts of the
     * host still reach it. The namespace belongs to the node, not to one run of its agent: a
     * process of its own holds it ({@link SupervisedProcesses#namespaceHolder}), and a restarted
     * agent enters it again, so the processes it adopts share its mounts and CRIU can dump them.
     */
    private List<String> nodeMountNamespace() {
        if (!"root".equals(System.getProperty("user.name"))) {
            return List.of();
        }
        long holder = SupervisedProcesses.namespaceHolder(stateDir).map(ProcessHandle::pid)
                .orElseGet(this::startNamespaceHolder);
        return List.of(utilLinux("nsenter"), "--mount=/proc/" + holder + "/ns/mnt", "--");
    }

    /** unshare execs sleep: the pid is the holder's, in the new namespace once it differs from ours. */
    private long startNamespaceHolder() {
        Process p = OsProcesses.spawn(List.of(utilLinux("unshare"), "--mount", "--propagation", "slave", "--",
                "sleep", "infinity"), logFile(), true, env -> { });
        try {
            Files.createDirectories(stateDir);
            PrivateFiles.write(SupervisedProcesses.namespaceHolderFile(stateDir), p.pid() + System.lineSeparator());
            Path ours = Files.readSymbolicLink(Path.of("/proc/self/ns/mnt"));
            Path theirs = Path.of("/proc/" + p.pid() + "/ns/mnt");
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (!Files.exists(theirs) || Files.readSymbolicLink(theirs).equals(ours)) {
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    p.destroyForcibly();
                    throw new IllegalStateException("the mount namespace of node " + name() + " could not be made: "
                            + OsProcesses.tail(logFile(), 5));
                }
                OsProcesses.sleep(Duration.ofMillis(5));
            }
        } catch (IOException e) {
            p.destroyForcibly();
            throw new UncheckedIOException("cannot make the mount namespace of node " + name(), e);
        }
        return p.pid();
    }

    private static String utilLinux(String tool) {
        for (Path p : List.of(Path.of("/usr/bin", tool), Path.of("/bin", tool))) {
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        throw new IllegalStateException(tool + " (util-linux) is missing: run scripts/install-deps.sh");
    }

    /** Options of an agent to start; name, control planes and join token are required. */
    public static final class Builder extends LaunchedProcess.Options<Builder> {
        private Path jar;
        private Path stateDir;
        private int port;
        private List<String> controlPlanes = List.of();
        private String joinToken;
        private final List<String> extraArgs = new ArrayList<>();
        private final List<String> jvmArgs = new ArrayList<>();

        /** The node name ({@code --name}) is required. */
        private Builder() {
            super(null);
        }

        /** The agent jar; default {@code node-agent/target/unum-agent.jar} of the repository. */
        public Builder jar(Path jar) {
            this.jar = jar;
            return this;
        }

        /** {@code --state-dir}; default a temporary one, deleted on close. */
        public Builder stateDir(Path dir) {
            this.stateDir = dir;
            return this;
        }

        /** The port of {@code --listen 127.0.0.1:PORT}; default 0 = a free one. */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        /** {@code --control-plane}: the control planes' agent ports ({@code HOST:PORT}, {@code unum.tls.agent-port}). */
        public Builder controlPlanes(List<String> grpcAddresses) {
            this.controlPlanes = List.copyOf(grpcAddresses);
            return this;
        }

        /** Written to the agent's {@code --join-token-file}. */
        public Builder joinToken(String token) {
            this.joinToken = token;
            return this;
        }

        /** More agent options, e.g. {@code --cores 2}, appended after the standard ones. */
        public Builder extraArgs(List<String> args) {
            extraArgs.addAll(args);
            return this;
        }

        /** Extra JVM options. */
        public Builder jvmArgs(List<String> args) {
            jvmArgs.addAll(args);
            return this;
        }

        /** Starts the JVM without waiting at all. */
        AgentProcess launch() {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(joinToken, "joinToken");
            if (controlPlanes.isEmpty()) {
                throw new IllegalArgumentException("at least one control plane gRPC address is needed");
            }
            if (jar == null) {
                jar = RepoLayout.locate().agentJar();
            }
            try {
                Path temp = null;
                Path state = stateDir;
                if (state == null) {
                    temp = Files.createTempDirectory("unum-agent-" + name + "-");
                    state = temp.resolve("state");
                }
                state = state.toAbsolutePath();
                Files.createDirectories(state);
                // The log defaults to <name>.log beside the state dir.
            Path log = logFile != null ? logFile : state.resolveSibling(name + ".log");
                AgentProcess agent = new AgentProcess(this, port != 0 ? port : Ports.free(), state, log, temp);
                agent.launch();
                return agent;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot prepare the state dir of agent " + name, e);
            }
        }

        /** Starts the agent and fails, with the log tail, if its JVM dies within 1.5 s. */
        public AgentProcess start() {
            AgentProcess agent = launch();
            try {
                agent.failIfDiesWithin(EARLY_DEATH_WINDOW, "agent " + name);
                return agent;
            } catch (RuntimeException e) {
                agent.close();
                throw e;
            }
        }
    }
}
