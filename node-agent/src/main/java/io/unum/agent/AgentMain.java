package io.unum.agent;

import io.unum.agent.load.MachineInfo;
import io.unum.agent.profile.NodeProfileSettings;
import io.unum.agent.profile.ProfileOptions;
import io.unum.api.fs.FsLayout;
import io.unum.api.units.ByteSize;
import io.unum.pki.CaCertHash;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code java -jar unum-agent.jar --name N --state-dir D --control-plane H:P ...} */
@Command(name = "unum-agent", mixinStandardHelpOptions = true,
        description = "Unum node agent: starts and supervises processes on this machine.")
public final class AgentMain implements Callable<Integer> {

    @Option(names = "--name", required = true, description = "Node name.")
    String name;

    @Option(names = "--listen", defaultValue = "0.0.0.0:0",
            description = "HOST:PORT of the agent's gRPC server; port 0 picks a free one (default ${DEFAULT-VALUE}).")
    String listen;

    @Option(names = "--advertise", description = "HOST:PORT the control plane should call (default: the listen address).")
    String advertise;

    @Option(names = "--control-plane", required = true, split = ",",
            description = "Control-plane agent ports HOST:PORT[,HOST:PORT...] (unum.tls.agent-port, 9091 by default); "
                    + "fails over between them.")
    List<String> controlPlanes;

    @Option(names = "--state-dir", required = true, description = "Directory for the shim, process state and output.")
    Path stateDir;

    // No option takes the token itself: a command line is readable by every user of the host.
    @Option(names = "--join-token-file", paramLabel = "FILE",
            description = "File holding the join token, readable by the agent's user only (default: env UNUM_JOIN_TOKEN). "
                    + "Needed only to join: an agent with its certificate in <state-dir>/tls never sends it.")
    Path joinTokenFile;

    // One of these two is needed to join: without them the join token would go to whoever answers.
    @Option(names = "--ca-file", paramLabel = "FILE",
            description = "The cluster CA's certificate (PEM), to check the control plane's when joining.")
    Path caFile;

    @Option(names = "--ca-cert-hash", paramLabel = "sha256:HEX",
            description = "The SHA-256 of the cluster CA's public key (SubjectPublicKeyInfo), as `unum join-token create` "
                    + "prints it: joining accepts only a control plane whose chain carries that CA and is valid under it "
                    + "(kubeadm's --discovery-token-ca-cert-hash). Instead of --ca-file.")
    String caCertHash;

    @Option(names = "--cores", description = "Cores to report (default: --cpu-capacity rounded up, else available processors).")
    Integer cores;

    @Option(names = "--memory", description = "Memory bytes to report (default: --memory-capacity, else MemTotal).")
    Long memory;

    @Option(names = "--output-limit", defaultValue = "1048576",
            description = "Captured output kept per stream per process, in bytes (default ${DEFAULT-VALUE}).")
    long outputLimit;

    @Option(names = "--criu", description = "CRIU binary for migration and checkpoints (default: criu on PATH).")
    Path criu;

    @Option(names = "--criu-ghost-limit", paramLabel = "SIZE", defaultValue = "256M",
            description = "Largest deleted-but-open file a dump carries (CRIU's --ghost-limit; default ${DEFAULT-VALUE}).")
    String criuGhostLimit;

    @Option(names = "--criu-restore-timeout", paramLabel = "SECONDS", defaultValue = "60",
            description = "How long a CRIU restore may take before it is stopped and refused (default ${DEFAULT-VALUE}).")
    long criuRestoreTimeoutSeconds;

    @Option(names = "--fs-mount", paramLabel = "PATH|none",
            description = "Where this node mounts the cluster file system (default " + FsLayout.DEFAULT_MOUNT_POINT
                    + "; needs root and /dev/fuse, else the agent runs without a mount); none: no mount.")
    String fsMount;

    @Option(names = "--fs-storage", paramLabel = "DIR",
            description = "Directory of this node's blocks of the cluster file system (default <state-dir>/fs-blocks).")
    Path fsStorage;

    @Mixin
    ProfileOptions profileOptions;

    public static void main(String[] args) {
        // The default launch mechanism runs the JDK's jspawnhelper from disk on every spawn;
        // after an in-place JDK package upgrade a long-running agent would then fail every
        // StartProcess ("Failed to exec spawn helper"). FORK needs no helper and costs the same
        // for a JVM this small.
        if (System.getProperty("jdk.lang.Process.launchMechanism") == null) {
            System.setProperty("jdk.lang.Process.launchMechanism", "FORK");
        }
        if (System.getProperty("java.util.logging.manager") == null) {
            System.setProperty("java.util.logging.manager", AgentLogManager.class.getName());
        }
        LogSetup.configure();
        System.exit(new CommandLine(new AgentMain()).execute(args));
    }

    /** Parses options into a config (used by main and by tests that start an agent in-process). */
    public static AgentConfig parse(String... args) {
        AgentMain m = new AgentMain();
        new CommandLine(m).parseArgs(args);
        return m.config();
    }

    AgentConfig config() {
        String token = joinTokenFile != null ? JoinTokenFile.read(joinTokenFile) : System.getenv("UNUM_JOIN_TOKEN");
        if (token != null && token.isBlank()) {
            token = null;
        }
        if (outputLimit < 2) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--output-limit must be at least 2");
        }
        if (criuRestoreTimeoutSeconds < 1) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--criu-restore-timeout must be at least 1");
        }
        long ghostLimit;
        try {
            ghostLimit = ByteSize.parse(criuGhostLimit);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--criu-ghost-limit " + e.getMessage(), e);
        }
        if (ghostLimit < 1) {
            throw new IllegalArgumentException("--criu-ghost-limit must be positive");
        }
        if (caFile != null && caCertHash != null) {
            throw new IllegalArgumentException("--ca-file and --ca-cert-hash both name the cluster CA: give one");
        }
        CaCertHash pin;
        try {
            pin = caCertHash == null ? null : CaCertHash.parse(caCertHash);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--ca-cert-hash: " + e.getMessage(), e);
        }
        NodeProfileSettings profile = profileOptions.settings();
        return new AgentConfig(name, HostPort.parse(listen), advertise == null ? null : HostPort.parse(advertise),
                controlPlanes.stream().map(HostPort::parse).toList(), stateDir.toAbsolutePath(), token,
                cores != null ? cores : profile.capacity().cpus() > 0 ? (int) Math.ceil(profile.capacity().cpus()) : MachineInfo.cores(),
                memory != null ? memory : profile.capacity().memoryBytes() > 0 ? profile.capacity().memoryBytes() : MachineInfo.memoryBytes(),
                outputLimit, criu, ghostLimit, Duration.ofSeconds(criuRestoreTimeoutSeconds), profile,
                caFile == null ? null : caFile.toAbsolutePath(), pin,
                "none".equals(fsMount) ? null : Path.of(fsMount != null ? fsMount : FsLayout.DEFAULT_MOUNT_POINT).toAbsolutePath(),
                (fsStorage != null ? fsStorage : stateDir.resolve("fs-blocks")).toAbsolutePath());
    }

    @Override
    public Integer call() throws Exception {
        AgentConfig cfg;
        try {
            cfg = config();
        } catch (IllegalArgumentException | CommandLine.ParameterException e) {
            System.err.println("unum-agent: " + e.getMessage());
            return 2;
        }
        Agent agent;
        try {
            agent = Agent.start(cfg);
        } catch (io.grpc.StatusRuntimeException e) {
            System.err.println("unum-agent: the control plane refused to let this agent join: " + e.getStatus().getCode()
                    + ": " + e.getStatus().getDescription());
            return 1;
        } catch (IllegalStateException e) {
            System.err.println("unum-agent: " + e.getMessage());
            return 1;
        }
        AtomicBoolean closed = new AtomicBoolean();
        // SIGTERM/SIGINT stop the agent, never its processes.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (closed.compareAndSet(false, true)) {
                agent.close();
            }
        }, "unum-shutdown"));
        agent.awaitTermination();
        return 0;
    }
}
