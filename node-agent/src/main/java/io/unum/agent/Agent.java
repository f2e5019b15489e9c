package io.unum.agent;

import io.unum.agent.files.PrivateFiles;
import io.unum.agent.fs.FsMoveHooks;
import io.unum.agent.fs.FsNode;
import io.unum.agent.image.MoveHooks;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.unum.agent.cgroup.CapacityEnforcer;
import io.unum.agent.auth.AgentTls;
import io.unum.agent.auth.BearerCredentials;
import io.unum.agent.auth.CaPinMismatchException;
import io.unum.api.grpc.EnrollRequest;
import io.unum.api.grpc.EnrollResponse;
import io.unum.agent.auth.PeerIdentityInterceptor;
import io.unum.agent.auth.RevokedCertificates;
import io.unum.agent.image.Criu;
import io.unum.agent.image.ImageAgentGrpcService;
import io.unum.agent.image.ImageStore;
import io.unum.agent.image.ImageTransfer;
import io.unum.agent.image.ProcessImages;
import io.unum.agent.image.TreeImages;
import io.unum.agent.load.NodeLoadProbe;
import io.unum.agent.net.PortGate;
import io.unum.agent.process.NodeAgentGrpcService;
import io.unum.agent.process.ProcessSupervisor;
import io.unum.agent.process.ShimInstaller;
import io.unum.agent.shm.ShmDirectories;
import io.unum.agent.shm.ShmNode;
import io.unum.agent.shm.ShmPageGrpcService;
import io.unum.agent.shm.ShmPeers;
import io.unum.agent.shm.ShmMoveHooks;
import io.unum.agent.shm.ShmSocketServer;
import io.unum.agent.shm.TreeOfPid;
import io.unum.agent.profile.ProfileReporter;
import io.unum.agent.registration.ControlPlaneClient;
import io.unum.agent.registration.ExitReporter;
import io.unum.agent.registration.NodeIdentity;
import io.unum.agent.registration.RegistrationLoop;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntFunction;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * A running agent: supervisor, gRPC server, registration and exit reporting. Closing it stops
 * the agent only; the supervised programs keep running under their shims.
 */
public final class Agent implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Agent.class.getName());

    private final ProcessSupervisor supervisor;
    private final ExecutorService streamers;
    private final Server server;
    private final ControlPlaneClient client;
    private final RegistrationLoop registration;
    private final ExitReporter exitReporter;
    private final HostPort advertised;
    /** Null when the agent has no capacity to enforce. */
    private final CapacityEnforcer capacity;
    private final ShmNode shm;
    private final ShmSocketServer shmSocket;
    /** Null when the node's block store could not be opened. */
    private final FsNode fs;

    private Agent(ProcessSupervisor supervisor, ExecutorService streamers, Server server, ControlPlaneClient client,
            RegistrationLoop registration, ExitReporter exitReporter, HostPort advertised, CapacityEnforcer capacity,
            ShmNode shm, ShmSocketServer shmSocket, FsNode fs) {
        this.fs = fs;
        this.shm = shm;
        this.shmSocket = shmSocket;
        this.supervisor = supervisor;
        this.streamers = streamers;
        this.server = server;
        this.client = client;
        this.registration = registration;
        this.exitReporter = exitReporter;
        this.advertised = advertised;
        this.capacity = capacity;
    }

    public static Agent start(AgentConfig cfg) throws IOException {
        PrivateFiles.createDirectories(cfg.stateDir());
        ProcessSupervisor supervisor = ProcessSupervisor.open(cfg.stateDir(), cfg.outputLimit());
        if (!supervisor.runsAsRoot()) {
            LOG.warning("not running as root: no pid namespaces, programs run as the agent's user");
        }
        ExecutorService streamers = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "unum-read-output");
            t.setDaemon(true);
            return t;
        });
        Optional<Criu> criu = Criu.locate(cfg.criu()).map(c -> c.withLimits(cfg.criuGhostLimit(), cfg.criuRestoreTimeout()));
        if (criu.isPresent() && supervisor.runsAsRoot()) {
            Criu.allowLargePipes().ifPresent(LOG::warning);
        }
        if (criu.isEmpty()) {
            LOG.warning("no CRIU (" + (cfg.criu() != null ? cfg.criu() + " is not executable" : "none on PATH")
                    + "): processes on this node cannot be migrated or checkpointed");
        }
        Optional<Path> nft = supervisor.runsAsRoot() ? PortGate.locateNft() : Optional.empty();
        if (criu.isPresent() && nft.isEmpty()) {
            LOG.warning("no nft (nftables)" + (supervisor.runsAsRoot() ? "" : " as a user that is not root")
                    + ": clients of a listening server are refused while it migrates; scripts/install-deps.sh installs it");
        }
        ShmMoveHooks shmMoves = new ShmMoveHooks();
        FsMoveHooks fsMoves = new FsMoveHooks();
        ProcessImages images = new ProcessImages(supervisor.handoff(), new ImageStore(cfg.stateDir()), criu, cfg.name(),
                new PortGate(nft, cfg.stateDir(), cfg.name()), MoveHooks.all(shmMoves, fsMoves));
        images.recoverInterruptedDumps();
        List<String> endpoints = cfg.controlPlanes().stream().map(HostPort::toString).toList();
        // The certificate names the host others dial; the port is only known once the server is bound.
        AgentTls tls = AgentTls.obtain(cfg.stateDir(), cfg.name(), advertisedAddress(cfg, cfg.listen()).host(),
                request -> join(cfg, endpoints, request));
        // From here on the certificate is the agent's only credential: the join token is not sent again.
        ControlPlaneClient client = new ControlPlaneClient(endpoints, tls.channelCredentials(), null);
        RevokedCertificates revoked = new RevokedCertificates();
        PeerIdentityInterceptor auth = new PeerIdentityInterceptor(revoked);
        ShmNode shm = sharedMemory(cfg, client, tls, supervisor);
        Optional<IntFunction<Map<String, String>>> remoteMemoryEnv = Optional.empty();
        if (shm != null) {
            shmMoves.use(shm);
            remoteMemoryEnv = remoteMemoryEnv(cfg, supervisor, shm);
        }
        FsNode fs = fileSystem(cfg, client, tls);
        if (fs != null) {
            fsMoves.use(fs.openFiles());
        }
        Server server = NettyServerBuilder
                .forAddress(new InetSocketAddress(cfg.listen().host(), cfg.listen().port()), tls.serverCredentials())
                // Images arrive in 1 MiB chunks: a window of several chunks keeps the stream flowing.
                .flowControlWindow(ImageTransfer.FLOW_CONTROL_WINDOW)
                .addService(ServerInterceptors.intercept(new NodeAgentGrpcService(supervisor, streamers, remoteMemoryEnv), auth))
                .addService(ServerInterceptors.intercept(shm != null ? new ShmPageGrpcService(shm)
                        : new io.unum.api.grpc.ShmPageServiceGrpc.ShmPageServiceImplBase() { }, auth))
                .addService(ServerInterceptors.intercept(fs != null ? fs.service()
                        : new io.unum.api.grpc.FsBlockServiceGrpc.FsBlockServiceImplBase() { }, auth))
                .addService(ServerInterceptors.intercept(new ImageAgentGrpcService(images,
                        new ImageTransfer(tls.channelCredentials()), new TreeImages(images.store(),
                                () -> java.util.Optional.ofNullable(fs).map(FsNode::treeFiles))), auth))
                .build()
                .start();
        HostPort listening = cfg.listen().withPort(server.getPort());
        LOG.info("listening on " + listening + " (mutual TLS)");
        HostPort advertised = advertisedAddress(cfg, listening);
        ShmSocketServer shmSocket = null;
        if (shm != null) {
            shm.advertise(advertised.toString());
            shmSocket = ShmSocketServer.start(shm);
            shm.forgetEarlierStarts();
        }
        if (fs != null) {
            mountFileSystem(cfg, supervisor, fs);
        }
        NodeIdentity identity = new NodeIdentity(cfg.name(), advertised.toString(), cfg.cores(), cfg.memoryBytes());
        // Under a capacity the node's load is its cgroup's: the machine may be shared with other agents.
        CapacityEnforcer capacity = cfg.profile().capacity().limited()
                ? CapacityEnforcer.start(cfg.name(), cfg.stateDir(), cfg.profile().capacity(), supervisor) : null;
        RegistrationLoop registration = new RegistrationLoop(client, supervisor, identity,
                capacity != null ? capacity::sample : new NodeLoadProbe()::sample,
                new ProfileReporter(client, cfg.name(), cfg.profile(), capacity != null ? capacity.enforcement() : "none"),
                revoked);
        ExitReporter exitReporter = new ExitReporter(client, supervisor, cfg.name());
        exitReporter.start();
        registration.start();
        LOG.info("agent " + cfg.name() + " started: advertising " + advertised + ", control plane "
                + cfg.controlPlanes() + ", state dir " + cfg.stateDir() + ", " + cfg.cores() + " cores, "
                + cfg.memoryBytes() + " bytes memory");
        return new Agent(supervisor, streamers, server, client, registration, exitReporter, advertised, capacity, shm,
                shmSocket, fs);
    }

    /** This node's part of the cluster file system; null (and a warning) when its block store cannot be had. */
    private static FsNode fileSystem(AgentConfig cfg, ControlPlaneClient client, AgentTls tls) {
        try {
            return FsNode.open(cfg.name(), cfg.fsStorage(), client, tls.channelCredentials());
        } catch (IOException e) {
            LOG.warning("no cluster file system on this node: its block store " + cfg.fsStorage() + " cannot be opened: " + e);
            return null;
        }
    }

    /** FUSE needs root (allow_other, other users' uids) and /dev/fuse; without them the agent runs unmounted. */
    private static void mountFileSystem(AgentConfig cfg, ProcessSupervisor supervisor, FsNode fs) {
        if (cfg.fsMount() == null) {
            return;
        }
        if (!supervisor.runsAsRoot() || !java.nio.file.Files.exists(Path.of("/dev/fuse"))) {
            LOG.warning("the cluster file system is not mounted at " + cfg.fsMount() + ": "
                    + (supervisor.runsAsRoot() ? "there is no /dev/fuse" : "the agent does not run as root")
                    + " (--fs-mount none says so without this warning)");
            return;
        }
        fs.mount(cfg.fsMount());
    }

    /** Cluster-wide shared memory on this node; null (and a warning) when its directories cannot be had. */
    private static ShmNode sharedMemory(AgentConfig cfg, ControlPlaneClient client, AgentTls tls, ProcessSupervisor supervisor) {
        try {
            return new ShmNode(cfg.name(), ShmDirectories.open(cfg.stateDir(), tls.clusterTag()), client, new ShmPeers(tls.channelCredentials()),
                    new TreeOfPid(supervisor::runningPids));
        } catch (UncheckedIOException e) {
            LOG.warning("no cluster-wide shared memory on this node: " + e.getMessage() + ": " + e.getCause().getMessage());
            return null;
        }
    }

    /** LD_PRELOAD and the socket for processes with USE_REMOTE_MEMORY; empty when the library is missing. */
    private static Optional<IntFunction<Map<String, String>>> remoteMemoryEnv(AgentConfig cfg, ProcessSupervisor supervisor,
            ShmNode shm) {
        try {
            Path library = ShimInstaller.installShmLibrary(cfg.stateDir(), supervisor.runsAsRoot());
            return Optional.of(gpid -> {
                Map<String, String> env = new java.util.HashMap<>(shm.environmentFor(gpid));
                env.put("LD_PRELOAD", library.toString());
                return env;
            });
        } catch (RuntimeException e) {
            LOG.warning("no cluster-wide shared memory on this node: " + e.getMessage());
            return Optional.empty();
        }
    }

    /** Enroll, the one call with the join token; a restarted agent with a good certificate never gets here. */
    private static EnrollResponse join(AgentConfig cfg, List<String> endpoints, EnrollRequest request) {
        if (cfg.joinToken() == null) {
            throw new IllegalStateException("this agent has no usable certificate in " + cfg.stateDir().resolve("tls")
                    + " and needs a join token to join: --join-token-file or env UNUM_JOIN_TOKEN "
                    + "(an admin makes one with `unum join-token create`)");
        }
        try (ControlPlaneClient joining = new ControlPlaneClient(endpoints,
                AgentTls.joiningCredentials(cfg.caFile(), cfg.caCertHash()), new BearerCredentials(cfg.joinToken()))) {
            return joining.callUntilAnswered(stub -> {
                try {
                    return stub.enroll(request);
                } catch (StatusRuntimeException e) {
                    // A wrong CA is no outage: waiting for another control plane to answer would hide it.
                    Optional<CaPinMismatchException> wrongCa = CaPinMismatchException.in(e);
                    if (wrongCa.isPresent()) {
                        throw new IllegalStateException(wrongCa.get().getMessage(), e);
                    }
                    throw e;
                }
            });
        }
    }

    /** --advertise wins; a wildcard listen address advertises this host's address instead. */
    private static HostPort advertisedAddress(AgentConfig cfg, HostPort listening) {
        HostPort a = cfg.advertise() != null ? cfg.advertise() : listening;
        if (a.port() == 0) {
            a = a.withPort(listening.port());
        }
        if (a.isWildcard()) {
            try {
                a = new HostPort(InetAddress.getLocalHost().getHostAddress(), a.port());
            } catch (UnknownHostException e) {
                a = new HostPort("127.0.0.1", a.port());
            }
        }
        return a;
    }

    public int port() {
        return server.getPort();
    }

    public HostPort advertised() {
        return advertised;
    }

    public ProcessSupervisor supervisor() {
        return supervisor;
    }

    public boolean isRegistered() {
        return registration.isRegistered();
    }

    public void awaitTermination() throws InterruptedException {
        server.awaitTermination();
    }

    @Override
    public void close() {
        LOG.info("agent stopping; supervised processes keep running");
        registration.close();
        if (capacity != null) {
            capacity.close();
        }
        exitReporter.close();
        if (shmSocket != null) {
            shmSocket.close();
        }
        if (shm != null) {
            shm.close();
        }
        if (fs != null) {
            fs.close();
        }
        server.shutdown();
        try {
            if (!server.awaitTermination(2, TimeUnit.SECONDS)) {
                server.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            server.shutdownNow();
        }
        streamers.shutdownNow();
        client.close();
        supervisor.close();
    }
}
