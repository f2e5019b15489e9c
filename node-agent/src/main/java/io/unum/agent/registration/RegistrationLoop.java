package io.unum.agent.registration;

import io.unum.agent.auth.RevokedCertificates;
import io.unum.agent.load.NodeLoadProbe;
import io.unum.agent.load.ProcessUsageProbe;
import io.unum.agent.process.ProcessSupervisor;
import io.unum.agent.process.ProcessView;
import io.unum.api.grpc.HeartbeatRequest;
import io.unum.api.grpc.HeartbeatResponse;
import io.unum.api.grpc.LocalProcess;
import io.unum.api.grpc.NodeLoad;
import io.unum.api.grpc.ProcessUsage;
import io.unum.api.grpc.RegisterAgentRequest;
import io.unum.api.grpc.RegisterAgentResponse;
import java.util.Map;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Registers with the control plane, then heartbeats. Registers again whenever a heartbeat
 * answers known=false. Errors back off and retry on the next endpoint; the loop only ends when
 * the agent stops.
 */
public final class RegistrationLoop implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(RegistrationLoop.class.getName());
    static final long DEFAULT_INTERVAL_MILLIS = 2000;

    private final ControlPlaneClient client;
    private final ProcessSupervisor supervisor;
    private final NodeIdentity identity;
    private final Supplier<NodeLoadProbe.Sample> loadProbe;
    private final Runnable afterRegistration;
    private final ProcessUsageProbe usageProbe = new ProcessUsageProbe();
    private final Backoff backoff = new Backoff();
    private final Thread thread;
    private final Object wakeup = new Object();
    private volatile boolean stopped;
    private volatile boolean registered;
    private volatile long intervalMillis = DEFAULT_INTERVAL_MILLIS;

    private final RevokedCertificates revoked;

    public RegistrationLoop(ControlPlaneClient client, ProcessSupervisor supervisor, NodeIdentity identity) {
        this(client, supervisor, identity, new NodeLoadProbe()::sample, () -> { }, new RevokedCertificates());
    }

    /**
     * @param load the node's load for each heartbeat (the machine's, or its cgroup's under a capacity)
     * @param afterRegistration runs after every successful registration; if it throws, the
     *     registration is retried as if it had failed
     * @param revoked told, at every heartbeat, which agent certificates no longer count
     */
    public RegistrationLoop(ControlPlaneClient client, ProcessSupervisor supervisor, NodeIdentity identity,
            Supplier<NodeLoadProbe.Sample> load, Runnable afterRegistration, RevokedCertificates revoked) {
        this.revoked = revoked;
        this.loadProbe = load;
        this.afterRegistration = afterRegistration;
        this.client = client;
        this.supervisor = supervisor;
        this.identity = identity;
        this.thread = new Thread(this::run, "unum-registration");
        this.thread.setDaemon(true);
    }

    public void start() {
        thread.start();
    }

    public boolean isRegistered() {
        return registered;
    }

    private void run() {
        while (!stopped) {
            try {
                if (!registered) {
                    register();
                    afterRegistration.run();
                    registered = true;
                    backoff.reset();
                }
                sleep(intervalMillis);
                if (stopped) {
                    return;
                }
                heartbeat();
                backoff.reset();
            } catch (Throwable e) {
                if (stopped) {
                    return;
                }
                long delay = backoff.nextMillis();
                LOG.log(Level.WARNING, (registered ? "heartbeat" : "registration") + " failed, retrying in "
                        + delay + " ms: " + e);
                sleep(delay);
            }
        }
    }

    private void register() {
        RegisterAgentRequest.Builder req = RegisterAgentRequest.newBuilder()
                .setNode(identity.name())
                .setAddress(identity.address())
                .setCores(identity.cores())
                .setMemoryBytes(identity.memoryBytes());
        for (ProcessView v : supervisor.list()) {
            LocalProcess.Builder p = LocalProcess.newBuilder()
                    .setGpid(v.gpid())
                    .setLocalPid(v.localPid())
                    .setRunning(v.running())
                    .setHeld(v.held());
            v.exit().ifPresent(e -> p.setExitStatus(e.toProto()));
            v.restoredFrom().ifPresent(p::setImageId);
            req.addProcesses(p);
        }
        RegisterAgentResponse resp = client.call(stub -> stub.registerAgent(req.build()));
        if (resp.getHeartbeatIntervalMillis() > 0) {
            intervalMillis = resp.getHeartbeatIntervalMillis();
        }
        LOG.info("registered as " + identity.name() + " at " + identity.address() + " with "
                + req.getProcessesCount() + " processes; heartbeat every " + intervalMillis + " ms");
        for (int gpid : resp.getUnknownGpidsList()) {
            LOG.info("control plane does not know gpid " + gpid + ": forgetting it");
            supervisor.forget(gpid);
        }
    }

    private void heartbeat() {
        Map<Integer, Integer> pids = supervisor.runningPids();
        NodeLoadProbe.Sample load = loadProbe.get();
        HeartbeatRequest.Builder req = HeartbeatRequest.newBuilder()
                .setNode(identity.name())
                .setLoad(NodeLoad.newBuilder()
                        .setLoad1(load.load1())
                        .setCpuPercent(load.cpuPercent())
                        .setMemoryFreeBytes(load.memoryFreeBytes())
                        .setProcessCount(pids.size()));
        usageProbe.sample(pids).forEach((gpid, u) -> req.addProcesses(ProcessUsage.newBuilder()
                .setGpid(gpid).setCpuPercent(u.cpuPercent()).setRssBytes(u.rssBytes())));
        for (ProcessView v : supervisor.list()) {
            if (v.running() && v.held()) {
                LocalProcess.Builder p = LocalProcess.newBuilder().setGpid(v.gpid()).setLocalPid(v.localPid())
                        .setRunning(true).setHeld(true);
                v.restoredFrom().ifPresent(p::setImageId);
                req.addHeld(p);
            }
        }
        HeartbeatResponse resp = client.call(stub -> stub.heartbeat(req.build()));
        revoked.replace(resp.getRevokedCertificateSerialsList());
        if (resp.getHeartbeatIntervalMillis() > 0) {
            intervalMillis = resp.getHeartbeatIntervalMillis();
        }
        if (!resp.getKnown()) {
            LOG.info("control plane does not know this node: registering again");
            registered = false;
        }
    }

    private void sleep(long millis) {
        synchronized (wakeup) {
            if (stopped) {
                return;
            }
            try {
                wakeup.wait(Math.max(1, millis));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                stopped = true;
            }
        }
    }

    @Override
    public void close() {
        stopped = true;
        synchronized (wakeup) {
            wakeup.notifyAll();
        }
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
