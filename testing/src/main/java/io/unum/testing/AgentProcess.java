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
public final class AgentProcess implements AutoCloseable {
    private static final Duration EARLY_DEATH_WINDOW = Duration.ofMillis(1500);

    private final Builder config;
    private final int port;
    private final Path stateDir;
    private final Path logFile;
    private final Path tempRoot;
    private Process process;

    private AgentProcess(Builder config, int port, Path stateDir, Path logFile, Path tempRoot) {
        this.config = config;
        this.port = port;
        this.stateDir = stateDir;
        this.logFile = logFile;
        this.tempRoot = tempRoot;
    }

    public static Builder builder() {
        return new Builder();
    }

    public String name() {
        return config.name;
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

    public Path logFile() {
        return logFile;
    }

    public long pid() {
        return process.pid();
    }

    public ProcessHandle processHandle() {
        return process.toHandle();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Fails, with the log tail, if the agent JVM is not running. */
    public void checkAlive() {
        if (!process.isAlive()) {
            throw new IllegalStateException(OsProcesses.diedMessage("agent " + config.name, process, logFile));
        }
    }

    /** SIGKILL of the agent JVM only, as a crash; its supervised processes keep running. */
    public void kill() {
        OsProcesses.kill(process.toHandle());
    }

    /** Starts the agent again with the same name, port and state dir (after {@link #kill()} or {@link #stop()}). */
    public AgentProcess restart() {
        if (process.isAlive()) {
            throw new IllegalStateException("agent " + config.name + " is still running (pid " + process.pid() + ")");
        }
        launch();
        watchEarlyDeath();
        return this;
    }

    /** SIGTERM, SIGKILL after 10 s; supervised processes keep running. */
    public void stop() {
        if (process != null) {
            OsProcesses.stop(process.toHandle(), Duration.ofSeconds(10));
        }
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
        return "agent " + config.name + "[" + address() + ", pid " + (process == null ? "-" : process.pid()) + "]";
    }

    void launch() {
        List<String> cmd = new ArrayList<>();
        cmd.add(OsProcesses.javaBinary());
        cmd.add("-Xmx128m");
        cmd.addAll(config.jvmArgs);
        cmd.addAll(List.of("-jar", config.jar.toString(),
                "--name", config.name,
                "--listen", address(),
                "--control-plane", String.join(",", config.controlPlanes),
                "--state-dir", stateDir.toString(),
                "--join-token", config.joinToken));
        cmd.addAll(config.extraArgs);
        process = OsProcesses.spawn(cmd, logFile, config.detached, env -> { });
        config.listener.spawned("agent", config.name, process.toHandle());
    }

    private void watchEarlyDeath() {
        try {
            if (process.waitFor(EARLY_DEATH_WINDOW.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
                checkAlive();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting agent " + config.name, e);
        }
    }

    /** Options of an agent to start; name, control planes and join token are required. */
    public static final class Builder {
        private String name;
        private Path jar;
        private Path stateDir;
        private Path logFile;
        private int port;
        private List<String> controlPlanes = List.of();
        private String joinToken;
        private boolean detached;
        private final List<String> extraArgs = new ArrayList<>();
        private final List<String> jvmArgs = new ArrayList<>();
        private SpawnListener listener = SpawnListener.NONE;

        private Builder() {
        }

        /** {@code --name}, the node name. */
        public Builder name(String name) {
            this.name = name;
            return this;
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

        /** Where stdout and stderr go; default {@code <name>.log} beside the state dir. */
        public Builder logFile(Path logFile) {
            this.logFile = logFile;
            return this;
        }

        /** The port of {@code --listen 127.0.0.1:PORT}; default 0 = a free one. */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        /** {@code --control-plane}: the control planes' gRPC addresses ({@code HOST:PORT}). */
        public Builder controlPlanes(List<String> grpcAddresses) {
            this.controlPlanes = List.copyOf(grpcAddresses);
            return this;
        }

        /** {@code --join-token}. */
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

        /** Start it in its own session so it outlives the launching JVM. */
        public Builder detached(boolean detached) {
            this.detached = detached;
            return this;
        }

        /** Told about every OS process started (also on restart). */
        public Builder listener(SpawnListener listener) {
            this.listener = Objects.requireNonNull(listener);
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
                agent.watchEarlyDeath();
                return agent;
            } catch (RuntimeException e) {
                agent.close();
                throw e;
            }
        }
    }
}
